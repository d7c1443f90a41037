/** What a problem type's page says, in one language. */
export interface ProblemExplanation {
  readonly title: string;
  /** What happened, in a sentence or two. */
  readonly meaning: string;
  /** What the caller can do about it. */
  readonly action: string;
}

export interface ProblemTypeFacts {
  /** The HTTP status the problem is answered with (`bad-request` stands for any other 4xx a parser raises). */
  readonly status: number;
  /** The `title` member of the problem details, in English as RFC 7807 answers carry it. */
  readonly title: string;
  readonly en: ProblemExplanation;
  readonly fr: ProblemExplanation;
}

/**
 * Every problem type a Passerelle service answers, by the last segment of its `type` URI. A
 * ProblemError can only carry one of these titles, so a service cannot answer a type that has no
 * page; the pages (problem-pages.ts) and the OpenAPI documents are built from this table.
 */
export const PROBLEM_TYPES = {
  validation: {
    status: 400,
    title: 'Invalid request',
    en: {
      title: 'Invalid request',
      meaning:
        'The request was read, but some of its fields are missing, malformed or not allowed. The errors member lists each field by its path (victim.dateOfBirth, row 4, column region) with the reason; a value is never quoted back.',
      action: 'Correct the fields listed and send the request again. Nothing was accepted.',
    },
    fr: {
      title: 'Requête invalide',
      meaning:
        'La requête a été lue, mais certains champs manquent, sont mal formés ou ne sont pas permis. Le membre errors nomme chaque champ par son chemin (victim.dateOfBirth, row 4, column region) avec la raison; aucune valeur n’est reprise.',
      action: 'Corrigez les champs indiqués et envoyez la requête de nouveau. Rien n’a été accepté.',
    },
  },
  'bad-request': {
    status: 400,
    title: 'Bad request',
    en: {
      title: 'Bad request',
      meaning: 'The request could not be read at the HTTP level (for example a malformed header or framing).',
      action: 'Check the client that builds the request. Nothing was accepted.',
    },
    fr: {
      title: 'Requête incorrecte',
      meaning: 'La requête n’a pas pu être lue au niveau HTTP (par exemple un en-tête ou un découpage mal formé).',
      action: 'Vérifiez le client qui construit la requête. Rien n’a été accepté.',
    },
  },
  unauthorized: {
    status: 401,
    title: 'Unauthorized',
    en: {
      title: 'Unauthorized',
      meaning:
        'The request carries no credential, or one this service does not accept: an expired or foreign access token, or a wrong static token.',
      action:
        'Send Authorization: Bearer with an access token obtained from the identity provider by client credentials for this service (a static token is accepted in development only).',
    },
    fr: {
      title: 'Non autorisé',
      meaning:
        'La requête ne porte aucun justificatif, ou un justificatif que ce service n’accepte pas : jeton d’accès expiré ou destiné à un autre service, ou jeton statique erroné.',
      action:
        'Envoyez Authorization: Bearer avec un jeton d’accès obtenu du fournisseur d’identité par identifiants client pour ce service (un jeton statique n’est accepté qu’en développement).',
    },
  },
  forbidden: {
    status: 403,
    title: 'Forbidden',
    en: {
      title: 'Forbidden',
      meaning:
        'The caller is known but may not do this: a token issued to another ministry, or a record that is not this ministry’s to write (an initiative another party leads, for example).',
      action: 'Send the record through the adapter of the ministry it belongs to, or ask the coordination office about the access.',
    },
    fr: {
      title: 'Interdit',
      meaning:
        'L’appelant est connu mais ne peut pas faire cela : jeton délivré à un autre ministère, ou enregistrement qu’il n’appartient pas à ce ministère d’écrire (une initiative menée par une autre partie, par exemple).',
      action:
        'Envoyez l’enregistrement par l’adaptateur du ministère auquel il appartient, ou consultez le bureau de coordination au sujet de l’accès.',
    },
  },
  'not-found': {
    status: 404,
    title: 'Not found',
    en: {
      title: 'Not found',
      meaning: 'No route answers this method at this path.',
      action: 'Check the path and method against the service’s OpenAPI document at /openapi.json.',
    },
    fr: {
      title: 'Introuvable',
      meaning: 'Aucune route ne répond à cette méthode à ce chemin.',
      action: 'Vérifiez le chemin et la méthode dans le document OpenAPI du service, à /openapi.json.',
    },
  },
  conflict: {
    status: 409,
    title: 'Conflict',
    en: {
      title: 'Conflict',
      meaning:
        'Nothing was accepted: a record was accepted before under the same source id with different content, an Idempotency-Key was used before with a different body, or consent to share a referral in the request was withdrawn.',
      action:
        'Send a correction as a new record (a status change, for example) rather than a changed copy; use a fresh Idempotency-Key for a different body. A withdrawn referral cannot be shared again.',
    },
    fr: {
      title: 'Conflit',
      meaning:
        'Rien n’a été accepté : un enregistrement a déjà été accepté sous le même identifiant source avec un contenu différent, une clé Idempotency-Key a déjà servi pour un autre corps, ou le consentement à partager une demande de la requête a été retiré.',
      action:
        'Envoyez une correction comme un nouvel enregistrement (un changement de statut, par exemple) plutôt qu’une copie modifiée; employez une nouvelle clé Idempotency-Key pour un autre corps. Une demande dont le consentement a été retiré ne peut plus être partagée.',
    },
  },
  'payload-too-large': {
    status: 413,
    title: 'Payload too large',
    en: {
      title: 'Payload too large',
      meaning: 'The body is larger than the route accepts (64 kB for one JSON record, 2 MB for a CSV batch).',
      action: 'Split the batch into smaller uploads, or send the records one at a time.',
    },
    fr: {
      title: 'Contenu trop volumineux',
      meaning: 'Le corps dépasse la taille que la route accepte (64 ko pour un enregistrement JSON, 2 Mo pour un lot CSV).',
      action: 'Divisez le lot en envois plus petits, ou envoyez les enregistrements un à un.',
    },
  },
  'unsupported-media-type': {
    status: 415,
    title: 'Unsupported media type',
    en: {
      title: 'Unsupported media type',
      meaning: 'The Content-Type, its charset or the Content-Encoding is not one the route reads.',
      action: 'Send the media type the route documents, in UTF-8, uncompressed.',
    },
    fr: {
      title: 'Type de média non pris en charge',
      meaning: 'Le Content-Type, son jeu de caractères ou le Content-Encoding n’est pas de ceux que la route lit.',
      action: 'Envoyez le type de média que la route documente, en UTF-8, sans compression.',
    },
  },
  'too-many-requests': {
    status: 429,
    title: 'Too many requests',
    en: {
      title: 'Too many requests',
      meaning: 'The rate limit of this client address or credential is used up for the current minute.',
      action: 'Wait the number of seconds the Retry-After header gives, then send the request again with the same Idempotency-Key.',
    },
    fr: {
      title: 'Trop de requêtes',
      meaning: 'La limite de débit de cette adresse client ou de ce justificatif est atteinte pour la minute en cours.',
      action:
        'Attendez le nombre de secondes indiqué par l’en-tête Retry-After, puis renvoyez la requête avec la même clé Idempotency-Key.',
    },
  },
  'internal-error': {
    status: 500,
    title: 'Internal error',
    en: {
      title: 'Internal error',
      meaning: 'The service failed in a way it did not expect. The error was logged under the requestId of the answer.',
      action: 'Retry later with the same Idempotency-Key, and give the requestId to the Passerelle operators.',
    },
    fr: {
      title: 'Erreur interne',
      meaning: 'Le service a échoué d’une façon imprévue. L’erreur a été journalisée sous le requestId de la réponse.',
      action: 'Réessayez plus tard avec la même clé Idempotency-Key, et transmettez le requestId aux exploitants de Passerelle.',
    },
  },
  'service-unavailable': {
    status: 503,
    title: 'Service unavailable',
    en: {
      title: 'Service unavailable',
      meaning:
        'A service this one depends on (the database, the identity provider) cannot be reached right now, or the request did not finish in time.',
      action: 'Wait the number of seconds the Retry-After header gives, then retry with the same Idempotency-Key.',
    },
    fr: {
      title: 'Service indisponible',
      meaning:
        'Un service dont celui-ci dépend (la base de données, le fournisseur d’identité) est injoignable pour le moment, ou la requête n’a pas abouti à temps.',
      action: 'Attendez le nombre de secondes indiqué par l’en-tête Retry-After, puis réessayez avec la même clé Idempotency-Key.',
    },
  },
} as const satisfies Record<string, ProblemTypeFacts>;

export type ProblemTypeName = keyof typeof PROBLEM_TYPES;
export type ProblemTitle = (typeof PROBLEM_TYPES)[ProblemTypeName]['title'];

export const PROBLEM_TYPE_NAMES = Object.keys(PROBLEM_TYPES) as ProblemTypeName[];

/** The absolute `type` URI of a problem, as services answer it unless they serve the pages themselves. */
export const PROBLEM_TYPE_BASE = 'https://passerelle.ontario.example/problems/';

/** The catalogue name of a title; every title of the table has exactly one. */
export function problemTypeNameOf(title: ProblemTitle): ProblemTypeName {
  const name = PROBLEM_TYPE_NAMES.find((candidate) => PROBLEM_TYPES[candidate].title === title);
  if (name === undefined) throw new Error(`no problem type has the title ${title}`);
  return name;
}
