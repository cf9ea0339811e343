use super::*;

fn judge(spec: NewcomerShare, all: (u64, u64), new: (u64, u64)) -> bool {
    let compiled = CompiledNewcomers { spec, all: 1, new: 2 };
    compiled.judge(all, new)
}

#[test]
fn a_pump_multiplies_the_odds() {
    let spec = NewcomerShare::default();
    // 14 days: 2,800 codes, 280 of them new accounts' (1 in 9 others).
    let before = (2_800, 280);
    // Today: 200 codes, 20 new: normal.
    assert!(!judge(spec.clone(), (200, before.0), (20, before.1)));
    // Today: 100 others and 60 new: odds 0.6 against 0.11.
    assert!(judge(spec.clone(), (160, before.0), (60, before.1)));
    // Twice the odds is not three times.
    assert!(!judge(spec, (122, before.0), (22, before.1)));
}

#[test]
fn odds_still_move_where_half_the_codes_are_sign_ups() {
    let spec = NewcomerShare::default();
    // Half the codes go to new accounts: a share cannot double, odds can.
    assert!(!judge(spec.clone(), (200, 2_800), (110, 1_400)));
    assert!(judge(spec, (400, 2_800), (320, 1_400)));
}

#[test]
fn few_sends_and_no_history_are_not_judged() {
    let spec = NewcomerShare::default();
    // Below min_sends new accounts' sends today, however lopsided.
    assert!(!judge(spec.clone(), (25, 2_800), (19, 0)));
    // No baseline: nothing was sent on the days before.
    assert!(!judge(spec.clone(), (500, 0), (500, 0)));
    // A baseline of no new accounts at all still judges on significance.
    assert!(judge(spec.clone(), (130, 2_800), (30, 0)));
    assert!(!judge(NewcomerShare { min_sends: 31, ..spec }, (130, 2_800), (30, 0)));
}
