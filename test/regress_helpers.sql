-- regress_helpers.sql — helpers the pg_regress suites include (\i); not part
-- of the extension.
--
-- try(statement): runs it and returns "ok", or the error as
-- "SQLSTATE: message | detail | hint: ... | table s.t, column c, constraint k",
-- the last part when the error names them (constraint and trigger errors
-- do), so the expected output documents the error class of every bad input
-- and where it was caught.  psql's VERBOSITY verbose would show these too,
-- but with the C source line of every error, which no expected file can keep.
CREATE FUNCTION pg_temp.try(statement text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    state text;
    message text;
    detail text;
    hint text;
    schema_name text;
    table_name text;
    column_name text;
    constraint_name text;
BEGIN
    EXECUTE statement;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                            detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT,
                            schema_name = SCHEMA_NAME, table_name = TABLE_NAME,
                            column_name = COLUMN_NAME, constraint_name = CONSTRAINT_NAME;
    RETURN state || ': ' || message
        || CASE WHEN detail <> '' THEN ' | ' || detail ELSE '' END
        || CASE WHEN hint <> '' THEN ' | hint: ' || hint ELSE '' END
        || CASE WHEN table_name <> '' OR column_name <> '' OR constraint_name <> ''
                THEN ' | ' || concat_ws(', ',
                    'table ' || nullif(concat_ws('.', nullif(schema_name, ''), nullif(table_name, '')), ''),
                    'column ' || nullif(column_name, ''),
                    'constraint ' || nullif(constraint_name, ''))
                ELSE '' END;
END $$;
