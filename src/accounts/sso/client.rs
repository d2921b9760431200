//! The OpenID Connect relying party (the `openidconnect` crate): discovery,
//! the authorisation request (code flow with PKCE, `state`, `nonce`), and
//! the code exchange with the ID token verified — signature by the
//! provider's published keys with the algorithms allowed, issuer exact,
//! audience, expiry and nonce. `state` and the `iss` response parameter
//! are checked by the caller (`routes.rs`), which holds the session.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType, CoreGenderClaim, CoreIdToken,
    CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreRevocableToken,
    CoreRevocationErrorResponse, CoreRsaPrivateSigningKey, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthType, AuthenticationContextClass, AuthorizationCode, Client, ClientId, ClientSecret,
    CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, IdTokenFields, IssuerUrl,
    JsonWebKeyId, LoginHint, LogoutRequest, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    PostLogoutRedirectUrl, PrivateSigningKey, ProviderMetadataWithLogout, RedirectUrl, RequestTokenError, Scope,
    StandardErrorResponse, StandardTokenResponse, TokenResponse, UserInfoClaims, UserInfoError,
};
use serde::{Deserialize, Serialize};

use super::model::{Claims, ProviderSettings};

/// Entra ID's tenant and object ids, beside the standard claims.
#[derive(Debug, Clone, Deserialize, Serialize)]
struct EntraClaims {
    oid: Option<String>,
    tid: Option<String>,
}
impl AdditionalClaims for EntraClaims {}

/// An organisation in CIS2's user info: `nhsid_user_orgs` (scope
/// associatedorgs) and `nhsid_nrbac_roles` (nationalrbacaccess) both name
/// it by its ODS code.
#[derive(Debug, Clone, Deserialize, Serialize)]
struct OrganisationClaim {
    org_code: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
struct Cis2Claims {
    #[serde(default)]
    nhsid_user_orgs: Vec<OrganisationClaim>,
    #[serde(default)]
    nhsid_nrbac_roles: Vec<OrganisationClaim>,
}
impl AdditionalClaims for Cis2Claims {}

type Tokens = StandardTokenResponse<
    IdTokenFields<
        EntraClaims,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;

type RelyingParty = Client<
    EntraClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    Tokens,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Why a sign-in with a provider failed; each is its own page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SsoError {
    /// The provider did not answer, or not as a provider should.
    Unreachable(String),
    /// Quorate's settings for the provider do not work (a missing secret file).
    Misconfigured(String),
    /// The provider answered the sign-in with an error (`error=` on the way back).
    Refused(String),
    /// The token endpoint refused the code: used already, expired, or not ours.
    CodeRefused(String),
    /// The ID token failed a check.
    InvalidToken(String),
}

/// A verified sign-in: what the provider says, and the ID token itself
/// (kept to name the session when asking the provider to end it).
pub struct Finished {
    pub claims: Claims,
    pub id_token: String,
    /// For the user info endpoint, if it is needed (never kept).
    pub access_token: String,
    pub subject: String,
}

/// A sign-in sent to the provider: what the session must keep for the way back.
pub struct Started {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub verifier: String,
}

/// Provider metadata (and keys) are looked up again after this long.
const METADATA_FOR: Duration = Duration::from_secs(300);

/// The relying party for every configured provider; cheap to share.
pub struct Sso {
    http: openidconnect::reqwest::Client,
    metadata: Mutex<HashMap<String, (Instant, ProviderMetadataWithLogout)>>,
}

impl Sso {
    pub fn new() -> Result<Self, String> {
        let http = openidconnect::reqwest::Client::builder()
            // Following a redirect from a provider could reach anything.
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("single sign-on HTTP client: {e}"))?;
        Ok(Sso {
            http,
            metadata: Mutex::new(HashMap::new()),
        })
    }

    async fn metadata(&self, provider: &ProviderSettings, fresh: bool) -> Result<ProviderMetadataWithLogout, SsoError> {
        if !fresh {
            if let Ok(cache) = self.metadata.lock() {
                if let Some((at, metadata)) = cache.get(&provider.id) {
                    if at.elapsed() < METADATA_FOR {
                        return Ok(metadata.clone());
                    }
                }
            }
        }
        let issuer = IssuerUrl::new(provider.issuer.clone())
            .map_err(|e| SsoError::Misconfigured(format!("issuer {:?}: {e}", provider.issuer)))?;
        // Discovery checks the document's issuer is exactly the one configured.
        let metadata = ProviderMetadataWithLogout::discover_async(issuer, &self.http)
            .await
            .map_err(|e| SsoError::Unreachable(describe(&e)))?;
        if let Ok(mut cache) = self.metadata.lock() {
            cache.insert(provider.id.clone(), (Instant::now(), metadata.clone()));
        }
        Ok(metadata)
    }

    async fn relying_party(
        &self,
        provider: &ProviderSettings,
        redirect_uri: &str,
        fresh: bool,
    ) -> Result<RelyingParty, SsoError> {
        let metadata = self.metadata(provider, fresh).await?;
        let secret = client_secret(provider)?.map(ClientSecret::new);
        let auth_type = if provider.uses_private_key() {
            AuthType::RequestBody
        } else {
            AuthType::BasicAuth
        };
        let redirect = RedirectUrl::new(redirect_uri.to_owned())
            .map_err(|e| SsoError::Misconfigured(format!("redirect address {redirect_uri:?}: {e}")))?;
        Ok(
            RelyingParty::from_provider_metadata(metadata, ClientId::new(provider.client_id.clone()), secret)
                .set_redirect_uri(redirect)
                .set_auth_type(auth_type),
        )
    }

    /// Where to send the browser, and what to keep for its way back.
    pub async fn start(
        &self,
        provider: &ProviderSettings,
        redirect_uri: &str,
        login_hint: Option<&str>,
    ) -> Result<Started, SsoError> {
        let client = self.relying_party(provider, redirect_uri, false).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge);
        if provider.provision_practice_staff {
            request = request
                .add_scope(Scope::new("associatedorgs".into()))
                .add_scope(Scope::new("nationalrbacaccess".into()));
        }
        for acr in &provider.acr_values {
            request = request.add_auth_context_value(AuthenticationContextClass::new(acr.clone()));
        }
        if let Some(hint) = login_hint {
            request = request.set_login_hint(LoginHint::new(hint.to_owned()));
        }
        let (url, state, nonce) = request.url();
        Ok(Started {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the code (with PKCE, authenticating as the client) and
    /// verifies the ID token; the claims it makes.
    pub async fn finish(
        &self,
        provider: &ProviderSettings,
        redirect_uri: &str,
        code: &str,
        verifier: &str,
        nonce: &str,
    ) -> Result<Finished, SsoError> {
        let client = self.relying_party(provider, redirect_uri, false).await?;
        let mut request = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| SsoError::Unreachable(format!("the provider gives no token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()));
        if provider.uses_private_key() {
            let token_url = client
                .token_uri()
                .map(|u| u.as_str().to_owned())
                .ok_or_else(|| SsoError::Unreachable("the provider gives no token endpoint".into()))?;
            request = request
                .add_extra_param(
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                )
                .add_extra_param("client_assertion", client_assertion(provider, &token_url)?);
        }
        let tokens = request.request_async(&self.http).await.map_err(|e| match e {
            RequestTokenError::ServerResponse(response) => SsoError::CodeRefused(match response.error_description() {
                Some(description) => format!("{}: {description}", response.error()),
                None => response.error().to_string(),
            }),
            other => SsoError::Unreachable(describe(&other)),
        })?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| SsoError::InvalidToken("the provider sent no ID token".into()))?;
        let algorithms = allowed_algorithms(provider)?;
        let verifier = client.id_token_verifier().set_allowed_algs(algorithms);
        let expected = Nonce::new(nonce.to_owned());
        let claims = match id_token.claims(&verifier, &expected) {
            Ok(claims) => claims.clone(),
            Err(openidconnect::ClaimsVerificationError::SignatureVerification(
                openidconnect::SignatureVerificationError::NoMatchingKey,
            )) => {
                // The provider may have rolled its keys since they were read.
                let client = self.relying_party(provider, redirect_uri, true).await?;
                let verifier = client
                    .id_token_verifier()
                    .set_allowed_algs(allowed_algorithms(provider)?);
                id_token
                    .claims(&verifier, &expected)
                    .map_err(|e| SsoError::InvalidToken(describe(&e)))?
                    .clone()
            }
            Err(e) => return Err(SsoError::InvalidToken(describe(&e))),
        };
        Ok(Finished {
            claims: Claims {
                sub: claims.subject().as_str().to_owned(),
                oid: claims.additional_claims().oid.clone(),
                tid: claims.additional_claims().tid.clone(),
                email: claims.email().map(|e| e.as_str().to_owned()),
                email_verified: claims.email_verified().unwrap_or(false),
                acr: claims.auth_context_ref().map(|a| a.as_str().to_owned()),
                name: claims.name().and_then(|n| n.get(None)).map(|n| n.as_str().to_owned()),
                organisations: Vec::new(),
            },
            id_token: id_token.to_string(),
            access_token: tokens.access_token().secret().clone(),
            subject: claims.subject().as_str().to_owned(),
        })
    }

    /// The ODS codes CIS2's user info gives for the person. The subject
    /// must be the ID token's: a user info answer for someone else (a
    /// substituted access token) is refused.
    pub async fn organisations(
        &self,
        provider: &ProviderSettings,
        redirect_uri: &str,
        access_token: &str,
        subject: &str,
    ) -> Result<Vec<String>, SsoError> {
        let client = self.relying_party(provider, redirect_uri, false).await?;
        let request = client
            .user_info(
                openidconnect::AccessToken::new(access_token.to_owned()),
                Some(openidconnect::SubjectIdentifier::new(subject.to_owned())),
            )
            .map_err(|e| SsoError::Unreachable(format!("the provider gives no user info endpoint: {e}")))?;
        let info: UserInfoClaims<Cis2Claims, CoreGenderClaim> =
            request.request_async(&self.http).await.map_err(|e| match e {
                UserInfoError::ClaimsVerification(why) => {
                    SsoError::InvalidToken(format!("user info: {}", describe(&why)))
                }
                other => SsoError::Unreachable(format!("user info: {}", describe(&other))),
            })?;
        let claims = info.additional_claims();
        Ok(claims
            .nhsid_user_orgs
            .iter()
            .chain(&claims.nhsid_nrbac_roles)
            .filter_map(|o| o.org_code.clone())
            .collect())
    }

    /// Where to send the browser so the provider ends its session too
    /// (OpenID Connect RP-Initiated Logout 1.0), coming back to
    /// `come_back_to`; `None` when the provider offers no end-session endpoint.
    pub async fn logout_url(
        &self,
        provider: &ProviderSettings,
        id_token: Option<&str>,
        come_back_to: &str,
    ) -> Result<Option<String>, SsoError> {
        let metadata = self.metadata(provider, false).await?;
        let Some(endpoint) = metadata.additional_metadata().end_session_endpoint.clone() else {
            return Ok(None);
        };
        let back = PostLogoutRedirectUrl::new(come_back_to.to_owned())
            .map_err(|e| SsoError::Misconfigured(format!("address {come_back_to:?}: {e}")))?;
        let mut request = LogoutRequest::from(endpoint)
            .set_client_id(ClientId::new(provider.client_id.clone()))
            .set_post_logout_redirect_uri(back);
        if let Some(token) = id_token.and_then(|t| t.parse::<CoreIdToken>().ok()) {
            request = request.set_id_token_hint(&token);
        }
        Ok(Some(request.http_get_url().to_string()))
    }
}

/// An error and its causes in one line (the crate's own messages are terse).
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn allowed_algorithms(provider: &ProviderSettings) -> Result<Vec<CoreJwsSigningAlgorithm>, SsoError> {
    provider
        .id_token_algorithms
        .iter()
        .map(|name| {
            serde_json::from_value(serde_json::Value::String(name.clone()))
                .map_err(|_| SsoError::Misconfigured(format!("{name:?} is not a signing algorithm")))
        })
        .collect()
}

/// The client secret, from its file or environment variable (never logged).
fn client_secret(provider: &ProviderSettings) -> Result<Option<String>, SsoError> {
    if let Some(path) = &provider.client_secret_file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            SsoError::Misconfigured(format!("the client secret file {} cannot be read: {e}", path.display()))
        })?;
        return Ok(Some(text.trim().to_owned()));
    }
    if let Some(name) = &provider.client_secret_env {
        let value = std::env::var(name)
            .map_err(|_| SsoError::Misconfigured(format!("the environment variable {name} is not set")))?;
        return Ok(Some(value.trim().to_owned()));
    }
    Ok(None)
}

/// A client assertion (RFC 7523, OpenID Connect Core §9 `private_key_jwt`):
/// a JWT signed with our private key, for the token endpoint only, used once.
fn client_assertion(provider: &ProviderSettings, token_url: &str) -> Result<String, SsoError> {
    let Some(path) = &provider.private_key_file else {
        return Err(SsoError::Misconfigured("no private_key_file".into()));
    };
    let pem = std::fs::read_to_string(path)
        .map_err(|e| SsoError::Misconfigured(format!("the private key file {} cannot be read: {e}", path.display())))?;
    let kid = provider.private_key_id.clone().map(JsonWebKeyId::new);
    let key = CoreRsaPrivateSigningKey::from_pem(&pem, kid.clone()).map_err(|e| {
        SsoError::Misconfigured(format!(
            "the private key file {} is not an RSA key in PEM (PKCS#1, BEGIN RSA PRIVATE KEY): {e}",
            path.display()
        ))
    })?;
    let now = chrono::Utc::now().timestamp();
    let mut header = serde_json::json!({"alg": "RS256", "typ": "JWT"});
    if let Some(kid) = &kid {
        header["kid"] = serde_json::Value::String(kid.as_str().to_owned());
    }
    let claims = serde_json::json!({
        "iss": provider.client_id,
        "sub": provider.client_id,
        "aud": token_url,
        "jti": crate::token::random_token(16),
        "iat": now,
        "exp": now + 60,
    });
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let input = format!(
        "{}.{}",
        engine.encode(header.to_string()),
        engine.encode(claims.to_string())
    );
    let signature = key
        .sign(&CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256, input.as_bytes())
        .map_err(|e| SsoError::Misconfigured(format!("signing the client assertion: {e}")))?;
    Ok(format!("{input}.{}", engine.encode(signature)))
}
