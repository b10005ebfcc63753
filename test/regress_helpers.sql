-- regress_helpers.sql — helpers the pg_regress suites include (\i); not part
-- of the extension.
--
-- try(statement): runs it and returns "ok", or the error as
-- "SQLSTATE: message | detail | hint", so the expected output documents the
-- error class of every bad input.
CREATE FUNCTION pg_temp.try(statement text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    state text;
    message text;
    detail text;
    hint text;
BEGIN
    EXECUTE statement;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                            detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    RETURN state || ': ' || message
        || CASE WHEN detail <> '' THEN ' | ' || detail ELSE '' END
        || CASE WHEN hint <> '' THEN ' | hint: ' || hint ELSE '' END;
END $$;
