-- Runs once when the compose PostgreSQL volume is created: the registry's and Keycloak's own
-- databases, as `infra up` creates them on the local stack.
CREATE DATABASE passerelle_registry;
CREATE DATABASE passerelle_keycloak;
