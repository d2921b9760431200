//! Consultations of member practices before a ballot: papers, members'
//! questions and the board's answers, responses, the practice impact tool.

pub mod markdown;
