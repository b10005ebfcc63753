--
-- install: CREATE/DROP EXTENSION, what it creates, and that every function is documented
--
CREATE EXTENSION automl;

-- every function of the extension (the public SQL surface), and whether it has a COMMENT
SELECT p.oid::regprocedure AS function,
       obj_description(p.oid, 'pg_proc') IS NOT NULL AS documented
FROM pg_proc p
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'automl')
ORDER BY p.oid::regprocedure::text;

-- tables and views of the extension, all in schema automl
SELECT c.oid::regclass AS relation, c.relkind
FROM pg_class c
JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'automl')
ORDER BY c.oid::regclass::text;

-- functions live in the schema of the extension (public here), tables in automl
SELECT extnamespace::regnamespace AS function_schema FROM pg_extension WHERE extname = 'automl';

-- creating it twice is an error
CREATE EXTENSION automl;

-- dropping removes the automl schema and everything in it
DROP EXTENSION automl;
SELECT count(*) AS automl_schemas FROM pg_namespace WHERE nspname = 'automl';

-- an existing schema named automl is not silently taken over
CREATE SCHEMA automl;
CREATE EXTENSION automl;
DROP SCHEMA automl;

CREATE EXTENSION automl;
SELECT extversion FROM pg_extension WHERE extname = 'automl';

-- the GUC prefix is reserved: a misspelt setting is refused
SET automl.max_memroy = '10MB';
SHOW automl.max_memory;
SET automl.max_memory = '512kB';

-- the README documents every function of the extension, and nothing else
\set readme `cat README.md`
SELECT DISTINCT p.proname AS undocumented_in_readme
FROM pg_proc p
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'automl')
  AND p.pronamespace = 'public'::regnamespace
  AND position('`' || p.proname || '(' IN :'readme') = 0;
SELECT DISTINCT m[1] AS in_readme_but_missing
FROM regexp_matches(:'readme', '`(automl_[a-z_]+)\(', 'g') m
WHERE NOT EXISTS (SELECT 1 FROM pg_proc WHERE proname = m[1]);

-- stored pipelines are compressed with lz4 (this server has it): forests'
-- JSON of tens of MB is stored several times faster than with pglz
SELECT attcompression AS pipeline_compression FROM pg_attribute
WHERE attrelid = 'automl.models'::regclass AND attname = 'pipeline';
