import type { EnvReader } from './env-reader.ts';
import type { ConfigProblem } from './errors.ts';

export const ENVIRONMENT_VARIABLE = 'PASSERELLE_ENVIRONMENT';

/** Where a service runs. Anything else is refused, so a typo (`prod`, `Production`) never runs as development. */
export const ENVIRONMENTS = ['development', 'test', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export function readEnvironment(env: EnvReader): Environment {
  return env.oneOf(ENVIRONMENT_VARIABLE, ENVIRONMENTS, 'development');
}

/**
 * What a service's configuration says about the settings production refuses when unsafe. Each
 * service fills in what it has; the checks and their wording are the same everywhere.
 */
export interface ProductionFacts {
  /** The Kafka client: SASL credentials given, the broker's CA given (SASL_SSL). Absent for a service without Kafka. */
  readonly kafka?: { readonly sasl: boolean; readonly tls: boolean };
  /** PostgreSQL connection URLs by variable: each must name the service's own role. */
  readonly databases: Readonly<Record<string, string | undefined>>;
  /** The identity provider's URLs by variable (issuer, JWKS): HTTPS unless on this machine. */
  readonly identityProvider: Readonly<Record<string, string | undefined>>;
  /** Whether /metrics asks for a credential (PASSERELLE_METRICS_TOKEN_FILE). */
  readonly metricsProtected: boolean;
  /**
   * URLs this service sends its metrics token to, by variable (the view API's
   * PASSERELLE_PIPELINE_METRICS): HTTPS unless on this machine, or the token crosses the network in clear.
   */
  readonly tokenBearingUrls?: Readonly<Record<string, readonly string[]>>;
}

/** The PostgreSQL superuser every installation has; a service connected as it bypasses every grant and the audit's guards. */
const SUPERUSER = 'postgres';

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);

function isLoopback(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * The unsafe settings among `facts`, each naming its variable and why, never its value. Static
 * tokens, development tokens, key lengths and disclosure limits are checked where they are read;
 * these are the settings every service shares.
 */
export function productionProblems(facts: ProductionFacts): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (facts.kafka && !facts.kafka.sasl)
    problems.push({
      variable: 'PASSERELLE_KAFKA_USERNAME',
      reason: 'is required in production: without SASL the broker cannot tell one ministry from another',
    });
  if (facts.kafka && !facts.kafka.tls)
    problems.push({
      variable: 'PASSERELLE_KAFKA_CA_FILE',
      reason: 'is required in production: without TLS, credentials and events cross the network in clear (SASL_SSL)',
    });
  for (const [variable, url] of Object.entries(facts.databases)) {
    if (url === undefined) continue;
    const role = roleOf(url);
    if (role === undefined)
      problems.push({ variable, reason: 'must name the service’s own PostgreSQL role in production (user@host), not the process owner’s' });
    else if (role === SUPERUSER)
      problems.push({
        variable,
        reason: `names the superuser ${SUPERUSER}: in production each service connects as its own role (docs/database-roles.md)`,
      });
  }
  for (const [variable, url] of Object.entries(facts.identityProvider)) {
    if (url === undefined) continue;
    const parsed = URL.canParse(url) ? new URL(url) : undefined;
    if (parsed && parsed.protocol !== 'https:' && !isLoopback(parsed.hostname))
      problems.push({ variable, reason: 'must use https in production unless the identity provider is on this machine (loopback)' });
  }
  for (const [variable, urls] of Object.entries(facts.tokenBearingUrls ?? {}))
    if (urls.some((url) => URL.canParse(url) && new URL(url).protocol !== 'https:' && !isLoopback(new URL(url).hostname)))
      problems.push({
        variable,
        reason: 'must use https in production for every service not on this machine (loopback): the metrics token goes with each request',
      });
  if (!facts.metricsProtected)
    problems.push({
      variable: 'PASSERELLE_METRICS_TOKEN_FILE',
      reason: 'is required in production: /metrics then asks for that bearer token (Prometheus: authorization.credentials_file)',
    });
  return problems;
}

function roleOf(url: string): string | undefined {
  if (!URL.canParse(url)) return undefined;
  const user = decodeURIComponent(new URL(url).username);
  return user === '' ? undefined : user;
}
