import type { KafkaCredentials, KafkaPrincipal } from './kafka-access.ts';

/**
 * Where the tests find the real stack; handed to every spec through vitest's provide/inject by
 * the global setup (`@passerelle/infra/test-stack`, which starts the stack when it must).
 */
export interface TestStack {
  readonly kafkaBrokers: string[];
  readonly registryUrl: string;
  readonly zipkinUrl: string;
  readonly databaseUrl: string;
  /** SCRAM credentials per principal when the broker requires SASL; absent on a PLAINTEXT broker. */
  readonly kafkaCredentials?: Readonly<Partial<Record<KafkaPrincipal, KafkaCredentials>>>;
  /** The PEM file of the CA the broker's certificate chains to, when its listener is SASL_SSL. */
  readonly kafkaCaFile?: string;
  /** Keycloak, when the run started it (not with PASSERELLE_TEST_KEYCLOAK=off nor a stack named by the environment). */
  readonly identity?: TestIdentity;
}

/** The local identity provider (Keycloak) with the secrets `infra` generated for it. */
export interface TestIdentity {
  readonly url: string;
  /** The realm's issuer; tokens carry it as `iss`. */
  readonly issuer: string;
  readonly credentials: {
    readonly admin: { readonly username: string; readonly password: string };
    /** Secret per confidential client id (`adapter-justice`, …, `passerelle-dev-tools`). */
    readonly clients: Readonly<Record<string, string>>;
    /** Password per development user (`analyst`, `ministry-justice`, …). */
    readonly users: Readonly<Record<string, string>>;
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: TestStack;
  }
}
