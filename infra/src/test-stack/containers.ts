import type { TestStack } from '@passerelle/testing';

/**
 * Where a Docker engine exists (PASSERELLE_TEST_INFRA=containers), the same stack runs in
 * containers with the images docker-compose.yml names. Loaded lazily: machines without
 * Docker never import testcontainers.
 */
export async function startContainers(): Promise<{ stack: TestStack; stop: () => Promise<void> }> {
  const { GenericContainer, Wait, Network } = await import('testcontainers');
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');

  const network = await new Network().start();
  const postgres = await new PostgreSqlContainer('postgres:15')
    .withNetwork(network)
    .withNetworkAliases('postgres')
    .withDatabase('passerelle')
    .withUsername('postgres')
    .withPassword('postgres')
    .start();
  const adminUrl = postgres.getConnectionUri();
  const pg = await import('pg');
  const client = new pg.default.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query('CREATE DATABASE passerelle_registry');
  await client.end();

  const kafka = await new KafkaContainer('confluentinc/cp-kafka:8.0.0').withKraft().withNetwork(network).start();
  const registry = await new GenericContainer('apicurio/apicurio-registry:3.3.3')
    .withNetwork(network)
    .withExposedPorts(8080)
    .withEnvironment({
      APICURIO_STORAGE_KIND: 'sql',
      APICURIO_STORAGE_SQL_KIND: 'postgresql',
      APICURIO_DATASOURCE_URL: 'jdbc:postgresql://postgres:5432/passerelle_registry',
      APICURIO_DATASOURCE_USERNAME: 'postgres',
      APICURIO_DATASOURCE_PASSWORD: 'postgres',
      APICURIO_REST_DELETION_ARTIFACT_ENABLED: 'true',
    })
    .withWaitStrategy(Wait.forHttp('/apis/registry/v3/system/info', 8080))
    .start();
  const zipkin = await new GenericContainer('openzipkin/zipkin:3.6.1')
    .withExposedPorts(9411)
    .withWaitStrategy(Wait.forHttp('/health', 9411))
    .start();

  return {
    stack: {
      kafkaBrokers: [`${kafka.getHost()}:${kafka.getMappedPort(9093)}`],
      registryUrl: `http://${registry.getHost()}:${registry.getMappedPort(8080)}/apis/ccompat/v7`,
      zipkinUrl: `http://${zipkin.getHost()}:${zipkin.getMappedPort(9411)}`,
      databaseUrl: adminUrl,
    },
    stop: async () => {
      await Promise.all([zipkin.stop(), registry.stop(), kafka.stop()]);
      await postgres.stop();
      await network.stop();
    },
  };
}
