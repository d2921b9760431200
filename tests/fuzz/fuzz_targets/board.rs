//! `quorate::certify::model::BoardFile::parse`: a bulletin board as
//! downloaded (plain or verifiable), given to `/verify` or `quorate verify
//! --board`, then the checks on it that need no database: Merkle root and
//! inclusion proofs (plain), `certify::verifiable::check_board` (verifiable).
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorate::certify::model::{BoardFile, merkle_root, proof_holds};
use quorate::certify::verifiable::check_board;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(board) = BoardFile::parse(text) else { return };
    match &board {
        BoardFile::Plain(board) => {
            let root = merkle_root(&board.papers);
            let _ = board.electorate_digest();
            // An inclusion proof of a paper on the board holds against the
            // board's recomputed root.
            for paper in board.papers.iter().take(8) {
                let (found, path) = board.find(&paper.receipt_digest).expect("a paper on the board is found");
                assert_eq!(found.receipt_digest, paper.receipt_digest);
                assert!(proof_holds(found, &path, &root), "inclusion proof does not hold");
            }
        }
        BoardFile::Verifiable(board) => {
            let _ = board.digest();
            let _ = board.merkle_root();
            let _ = board.electorate_digest();
            let (checks, checked) = check_board(board);
            assert!(!checks.is_empty());
            if checked.is_some() {
                assert!(checks.iter().all(|c| c.passed), "Checked returned with a failed check");
            }
        }
    }
    let json = serde_json::to_string(&board).expect("a parsed board serialises");
    let again = BoardFile::parse(&json).expect("serialised board reads back");
    assert!(again == board, "board changes on a JSON round trip");
});
