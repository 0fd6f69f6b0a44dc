-- Two databases on the compose file's PostgreSQL server: Airflow's metadata and the Little SIS
-- store, each owned by its own login role, and neither open to the other role.
-- Run once, on an empty server, by init-databases.sh, which passes these psql variables:
--   airflow_user, airflow_password, airflow_db, store_user, store_password, store_db
\set ON_ERROR_STOP on

CREATE ROLE :"airflow_user" LOGIN PASSWORD :'airflow_password';
CREATE DATABASE :"airflow_db" OWNER :"airflow_user";
REVOKE ALL ON DATABASE :"airflow_db" FROM PUBLIC;

CREATE ROLE :"store_user" LOGIN PASSWORD :'store_password';
CREATE DATABASE :"store_db" OWNER :"store_user";
REVOKE ALL ON DATABASE :"store_db" FROM PUBLIC;
