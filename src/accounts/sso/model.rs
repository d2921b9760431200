//! Single sign-on with OpenID Connect: the providers' settings, checked
//! when the settings load, and the pure rules for who a person is.

use std::path::PathBuf;

use serde::Deserialize;

/// What kind of provider: presets know the claims and checks it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// Any OpenID Connect provider: a person is its `sub`.
    #[default]
    Generic,
    /// NHSmail (Microsoft Entra ID, the NHSmail tenant): a person is the
    /// tenant and object ids (`tid`, `oid`); the issuer names the tenant.
    Nhsmail,
    /// NHS Care Identity Service 2: the authentication assurance level
    /// (`acr`) is asked for and checked.
    Cis2,
}

/// One provider, as written in the settings file (`[[sso]]`).
#[derive(Debug, Clone, Deserialize)]
pub struct ProviderSettings {
    /// In addresses (`/login/sso/ID`): lower-case letters, digits, hyphens.
    pub id: String,
    /// On its button: "Sign in with LABEL".
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub preset: Preset,
    /// Exactly as the provider's discovery document gives it.
    pub issuer: String,
    pub client_id: String,
    /// The client secret, read from this file (client_secret_basic).
    #[serde(default)]
    pub client_secret_file: Option<PathBuf>,
    /// … or from this environment variable.
    #[serde(default)]
    pub client_secret_env: Option<String>,
    /// An RSA private key (PEM, PKCS#1) to sign client assertions with
    /// (private_key_jwt, as NHS identity services require), and its key id.
    #[serde(default)]
    pub private_key_file: Option<PathBuf>,
    #[serde(default)]
    pub private_key_id: Option<String>,
    /// Link a first sign-in to the account with the same address, when the
    /// provider asserts the address verified (`email_verified`).
    #[serde(default)]
    pub link_by_verified_email: bool,
    /// Authentication context classes to ask for; the ID token's `acr` must
    /// be one of them (CIS2: the assurance level, e.g. AAL3).
    #[serde(default)]
    pub acr_values: Vec<String>,
    /// Whether this provider's sign-in already has two factors (its own
    /// multi-factor authentication, or a smartcard), so no code is asked.
    #[serde(default)]
    pub counts_as_second_factor: bool,
    /// ID token signing algorithms accepted (default RS256 only).
    #[serde(default = "default_algorithms")]
    pub id_token_algorithms: Vec<String>,
    /// Logging out of Quorate also ends the session at the provider
    /// (OpenID Connect RP-Initiated Logout), when it offers that.
    #[serde(default = "yes")]
    pub sign_out_at_provider: bool,
    /// CIS2 only: someone whose organisation claims name a member practice
    /// may ask for a practice representative account by signing in, when
    /// the practice's organisation allows it; the account waits for its
    /// administrators' approval.
    #[serde(default)]
    pub provision_practice_staff: bool,
}

fn yes() -> bool {
    true
}

fn default_algorithms() -> Vec<String> {
    vec!["RS256".into()]
}

impl ProviderSettings {
    pub fn label(&self) -> &str {
        if self.label.trim().is_empty() {
            &self.id
        } else {
            self.label.trim()
        }
    }

    pub fn uses_private_key(&self) -> bool {
        self.private_key_file.is_some()
    }

    /// Checks one provider's settings; the message names the setting.
    pub fn check(&self) -> Result<(), String> {
        let at = format!("sso provider {:?}", self.id);
        if self.id.is_empty()
            || self.id.len() > 40
            || !self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(format!(
                "{at}: id must be 1 to 40 lower-case letters, digits and hyphens"
            ));
        }
        check_issuer(&self.issuer).map_err(|e| format!("{at}: issuer {e}"))?;
        if self.preset == Preset::Nhsmail {
            let lower = self.issuer.to_ascii_lowercase();
            if ["/common", "/organizations", "/consumers"]
                .iter()
                .any(|m| lower.contains(m))
            {
                return Err(format!(
                    "{at}: the NHSmail issuer must name the NHSmail tenant (https://login.microsoftonline.com/TENANT-ID/v2.0), never /common, /organizations or /consumers, whose tokens come from every tenant"
                ));
            }
        }
        if self.client_id.trim().is_empty() {
            return Err(format!("{at}: client_id is empty"));
        }
        let secrets = usize::from(self.client_secret_file.is_some())
            + usize::from(self.client_secret_env.is_some())
            + usize::from(self.private_key_file.is_some());
        if secrets != 1 {
            return Err(format!(
                "{at}: give exactly one of client_secret_file, client_secret_env and private_key_file"
            ));
        }
        if self.preset == Preset::Cis2 && !self.uses_private_key() {
            return Err(format!("{at}: CIS2 needs private_key_jwt: set private_key_file"));
        }
        if self.preset == Preset::Cis2 && self.acr_values.is_empty() {
            return Err(format!(
                "{at}: CIS2 needs acr_values, the assurance levels accepted (for example [\"AAL3_ANY\"])"
            ));
        }
        if self.provision_practice_staff && self.preset != Preset::Cis2 {
            return Err(format!(
                "{at}: provision_practice_staff needs preset = \"cis2\", whose organisation claims name the practice"
            ));
        }
        if self.id_token_algorithms.is_empty() {
            return Err(format!("{at}: id_token_algorithms is empty"));
        }
        for alg in &self.id_token_algorithms {
            if !SUPPORTED_ALGORITHMS.contains(&alg.as_str()) {
                return Err(format!(
                    "{at}: {alg:?} is not an ID token algorithm Quorate accepts ({})",
                    SUPPORTED_ALGORITHMS.join(", ")
                ));
            }
        }
        Ok(())
    }
}

/// Asymmetric signatures only: a token signed with the client secret
/// (HS256) proves nothing the client could not forge itself.
pub const SUPPORTED_ALGORITHMS: &[&str] = &["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"];

/// https, or http to this machine only (a provider in a test).
fn check_issuer(issuer: &str) -> Result<(), String> {
    let loopback = [
        "http://127.0.0.1:",
        "http://127.0.0.1/",
        "http://localhost:",
        "http://[::1]:",
    ];
    if issuer.starts_with("https://") || loopback.iter().any(|p| issuer.starts_with(p)) {
        Ok(())
    } else {
        Err(format!(
            "{issuer:?} must start with https:// (http:// only to this machine)"
        ))
    }
}

/// Checks every provider, and that no id is used twice.
pub fn check_providers(providers: &[ProviderSettings]) -> Result<(), String> {
    for (i, provider) in providers.iter().enumerate() {
        provider.check()?;
        if providers[..i].iter().any(|p| p.id == provider.id) {
            return Err(format!("sso provider {:?} is listed twice", provider.id));
        }
    }
    Ok(())
}

/// What an ID token says about the person, once verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub sub: String,
    pub oid: Option<String>,
    pub tid: Option<String>,
    pub email: Option<String>,
    pub email_verified: bool,
    pub acr: Option<String>,
    pub name: Option<String>,
    /// ODS codes of the organisations the person works for (CIS2's
    /// `nhsid_user_orgs` and `nhsid_nrbac_roles`, from its user info).
    pub organisations: Vec<String>,
}

/// A person as Quorate knows them at a provider: its stable subject.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Identity {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    pub organisations: Vec<String>,
}

/// The stable subject a provider gives a person, and the checks the
/// preset makes; the error says what is missing or wrong.
pub fn identity(provider: &ProviderSettings, claims: Claims) -> Result<Identity, String> {
    if !provider.acr_values.is_empty() {
        match &claims.acr {
            Some(acr) if provider.acr_values.contains(acr) => {}
            Some(acr) => {
                return Err(format!(
                    "the sign-in's assurance level was {acr}, and this service needs {}",
                    provider.acr_values.join(" or ")
                ));
            }
            None => return Err("the sign-in did not say its assurance level (acr)".into()),
        }
    }
    let subject = match provider.preset {
        Preset::Nhsmail => match (&claims.tid, &claims.oid) {
            (Some(tid), Some(oid)) if !tid.is_empty() && !oid.is_empty() => format!("{tid}/{oid}"),
            _ => return Err("the ID token has no tenant and object ids (tid, oid)".into()),
        },
        Preset::Generic | Preset::Cis2 => claims.sub.clone(),
    };
    if subject.is_empty() {
        return Err("the ID token has no subject".into());
    }
    let organisations = ods_codes(&claims.organisations);
    Ok(Identity {
        subject,
        email: claims.email.filter(|e| !e.trim().is_empty()),
        email_verified: claims.email_verified,
        name: claims.name.filter(|n| !n.trim().is_empty()),
        organisations,
    })
}

/// ODS codes as the register keeps them: trimmed, upper case, once each.
pub fn ods_codes(raw: &[String]) -> Vec<String> {
    let mut codes: Vec<String> = raw
        .iter()
        .map(|code| code.trim().to_ascii_uppercase())
        .filter(|code| !code.is_empty())
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(preset: Preset) -> ProviderSettings {
        ProviderSettings {
            id: "nhsmail".into(),
            label: "NHSmail".into(),
            preset,
            issuer: "https://login.microsoftonline.com/37c354b2-85b0-47f5-b222-07b48d774ee3/v2.0".into(),
            client_id: "quorate".into(),
            client_secret_file: Some("/run/secrets/sso".into()),
            client_secret_env: None,
            private_key_file: None,
            private_key_id: None,
            link_by_verified_email: false,
            acr_values: Vec::new(),
            counts_as_second_factor: false,
            id_token_algorithms: default_algorithms(),
            sign_out_at_provider: true,
            provision_practice_staff: false,
        }
    }

    fn claims() -> Claims {
        Claims {
            sub: "pairwise-sub".into(),
            oid: Some("object-1".into()),
            tid: Some("tenant-1".into()),
            email: Some("jo.bloggs@nhs.net".into()),
            email_verified: true,
            acr: None,
            name: Some("Jo Bloggs".into()),
            organisations: vec![" y02345".into(), "Y02345".into()],
        }
    }

    #[test]
    fn nhsmail_people_are_their_tenant_and_object_ids_never_their_address() {
        let nhsmail = provider(Preset::Nhsmail);
        assert_eq!(
            identity(&nhsmail, claims()).expect("identity").subject,
            "tenant-1/object-1"
        );
        assert_eq!(
            identity(&nhsmail, claims()).expect("identity").organisations,
            vec!["Y02345".to_owned()],
            "ODS codes trimmed, upper-cased, once each"
        );
        let missing = Claims { oid: None, ..claims() };
        assert!(identity(&nhsmail, missing).expect_err("refused").contains("tid, oid"));
        assert_eq!(
            identity(&provider(Preset::Generic), claims())
                .expect("identity")
                .subject,
            "pairwise-sub"
        );
    }

    #[test]
    fn the_multi_tenant_endpoints_are_refused_for_nhsmail() {
        for issuer in [
            "https://login.microsoftonline.com/common/v2.0",
            "https://login.microsoftonline.com/organizations/v2.0",
        ] {
            let settings = ProviderSettings {
                issuer: issuer.into(),
                ..provider(Preset::Nhsmail)
            };
            assert!(
                settings.check().expect_err("refused").contains("never /common"),
                "{issuer}"
            );
        }
        provider(Preset::Nhsmail).check().expect("a tenant's issuer");
    }

    #[test]
    fn settings_are_checked_and_name_what_is_wrong() {
        let plain_http = ProviderSettings {
            issuer: "http://idp.example.org".into(),
            ..provider(Preset::Generic)
        };
        assert!(
            plain_http
                .check()
                .expect_err("refused")
                .contains("must start with https://")
        );
        let loopback = ProviderSettings {
            issuer: "http://127.0.0.1:4000".into(),
            ..provider(Preset::Generic)
        };
        loopback.check().expect("loopback for tests");
        let two = ProviderSettings {
            client_secret_env: Some("X".into()),
            ..provider(Preset::Generic)
        };
        assert!(two.check().expect_err("refused").contains("exactly one of"));
        let hs = ProviderSettings {
            id_token_algorithms: vec!["HS256".into()],
            ..provider(Preset::Generic)
        };
        assert!(
            hs.check()
                .expect_err("refused")
                .contains("\"HS256\" is not an ID token algorithm")
        );
        let cis2 = provider(Preset::Cis2);
        assert!(cis2.check().expect_err("refused").contains("private_key_jwt"));
        let bad_id = ProviderSettings {
            id: "NHS mail".into(),
            ..provider(Preset::Generic)
        };
        assert!(bad_id.check().is_err());
        let provisioning = ProviderSettings {
            provision_practice_staff: true,
            ..provider(Preset::Generic)
        };
        assert!(provisioning.check().expect_err("refused").contains("cis2"));
        let twice = [provider(Preset::Generic), provider(Preset::Generic)];
        assert!(check_providers(&twice).expect_err("refused").contains("listed twice"));
    }

    #[test]
    fn an_assurance_level_asked_for_must_be_the_one_given() {
        let cis2 = ProviderSettings {
            acr_values: vec!["AAL3_ANY".into()],
            ..provider(Preset::Cis2)
        };
        let aal2 = Claims {
            acr: Some("AAL2_ANY".into()),
            ..claims()
        };
        assert!(identity(&cis2, aal2).expect_err("refused").contains("was AAL2_ANY"));
        assert!(identity(&cis2, claims()).expect_err("refused").contains("did not say"));
        let aal3 = Claims {
            acr: Some("AAL3_ANY".into()),
            ..claims()
        };
        assert_eq!(identity(&cis2, aal3).expect("accepted").subject, "pairwise-sub");
    }
}
