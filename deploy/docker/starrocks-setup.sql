-- The demo's StarRocks database and user (deploy/docker/compose.yaml):
--   mysql -h <FE> -P 9030 -u root < deploy/docker/starrocks-setup.sql
-- The tables come from `dbmazzctl ddl -f pipeline.yaml`.
CREATE DATABASE IF NOT EXISTS shop;
CREATE USER IF NOT EXISTS 'dbmazz'@'%' IDENTIFIED BY 'dbmazz-demo';
GRANT ALL ON DATABASE shop TO USER 'dbmazz'@'%';
GRANT INSERT, SELECT ON ALL TABLES IN DATABASE shop TO USER 'dbmazz'@'%';
