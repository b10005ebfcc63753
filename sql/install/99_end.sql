
-- 99_end.sql — end of the install script: what only the install needed.

DROP FUNCTION automl.install_role(text, text[], text, text);
