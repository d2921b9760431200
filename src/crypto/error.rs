//! The one error type of the module. Messages are read by returning officers and auditors, so each names
//! the thing that failed in plain English rather than the algebra that detected it.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CryptoError {
    #[error("the {what} is not {digits} lowercase hexadecimal digits")]
    NotHex { what: &'static str, digits: usize },

    #[error("the {what} is not hexadecimal")]
    NotHexBytes { what: &'static str },

    #[error("the point {hex} is not a valid ristretto255 encoding")]
    NotAPoint { hex: String },

    #[error("the scalar {hex} is not canonical (it is not reduced modulo the group order)")]
    NonCanonicalScalar { hex: String },

    #[error("{0}")]
    WrongShape(String),

    #[error("the proof that option {option} is 0 or 1 does not verify")]
    OptionProof { option: usize },

    #[error("the proof that the paper's options sum to 1 does not verify")]
    SumProof,

    #[error("the proof of knowledge of coefficient {coefficient} of trustee {trustee} does not verify")]
    CoefficientProof { trustee: u32, coefficient: usize },

    #[error("the proof of knowledge of the transport key of trustee {trustee} does not verify")]
    TransportProof { trustee: u32 },

    #[error("the transport key of trustee {trustee} is the identity point, so shares sent to it would not be secret")]
    WeakTransportKey { trustee: u32 },

    #[error("the share from trustee {sender} {fault}")]
    Share { sender: u32, fault: ShareFault },

    #[error("trustee {trustee} is not one of the ballot's trustees")]
    UnknownTrustee { trustee: u32 },

    #[error("trustee {trustee} appears more than once")]
    DuplicateTrustee { trustee: u32 },

    #[error("the partial decryption of trustee {trustee} for aggregate {aggregate} does not verify")]
    PartialProof { trustee: u32, aggregate: usize },

    #[error("only {given} trustees' partial decryptions were given, but {needed} are needed to decrypt")]
    NotEnoughPartials { given: usize, needed: usize },

    #[error("aggregate {aggregate} does not decrypt to a total between 0 and {bound}")]
    NoDiscreteLog { aggregate: usize, bound: u64 },

    #[error("the opening does not match the paper at option {option}")]
    OpeningMismatch { option: usize },

    #[error("the {what} for option {option} ({scope}) does not match the papers")]
    AggregateMismatch {
        what: &'static str,
        option: usize,
        scope: String,
    },

    #[error("the total weight of the papers is larger than 2^64 - 1")]
    WeightOverflow,

    #[error("{} of the {total} papers in the batch do not verify (papers {}); the first: {first}",
        bad.len(), list(bad))]
    BatchRejected {
        total: usize,
        bad: Vec<usize>,
        first: Box<CryptoError>,
    },

    #[error("the value could not be written as canonical JSON: {0}")]
    Json(String),
}

/// Why a trustee's share was refused; kept separate so the sender is always named the same way.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ShareFault {
    #[error("is addressed to trustee {to}, not to trustee {me}")]
    WrongRecipient { to: u32, me: u32 },
    #[error("does not decrypt: it was altered in transit or was not sealed for this trustee")]
    DoesNotDecrypt,
    #[error("does not match its sender's published commitments")]
    DoesNotMatchCommitments,
    #[error("is missing")]
    Missing,
    #[error("was given more than once")]
    Duplicate,
    #[error("comes from a trustee who is not in the ceremony")]
    UnknownSender,
}

fn list(indices: &[usize]) -> String {
    indices.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}
