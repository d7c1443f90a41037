import { accessTokenVerifier as providerTokenVerifier, type AccessTokenSettings } from '@passerelle/http';

/** How an adapter checks OAuth2 access tokens: the provider's issuer and keys, and the audience naming this adapter (its client id, `adapter-justice`). */
export type OAuthSettings = Omit<AccessTokenSettings, 'maxTokenAgeSeconds'>;

export type AccessTokenCheck =
  | { readonly kind: 'valid'; readonly ministry: string | undefined }
  | { readonly kind: 'invalid' }
  /** The keys could not be fetched: the token may be good, the caller should retry. */
  | { readonly kind: 'unavailable' };

export type AccessTokenVerifier = (token: string) => Promise<AccessTokenCheck>;

/** The provider's RS256 tokens, verified by @passerelle/http; an adapter reads only the `ministry` claim. */
export function accessTokenVerifier(settings: OAuthSettings): AccessTokenVerifier {
  const verify = providerTokenVerifier(settings);
  return async (token) => {
    const check = await verify(token);
    if (check.kind !== 'valid') return check;
    const ministry = check.claims['ministry'];
    return { kind: 'valid', ministry: typeof ministry === 'string' ? ministry : undefined };
  };
}
