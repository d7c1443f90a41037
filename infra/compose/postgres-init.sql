-- Runs once when the compose PostgreSQL volume is created: the registry's own database,
-- as `infra up` creates it on the local stack.
CREATE DATABASE passerelle_registry;
