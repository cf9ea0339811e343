//! `phone`: reading typed phone numbers and classifying them with
//! `tollgate::phone`.
//!
//! * `phone/parse_classify_mobile`: `normalize("+44 7400 123456")` then
//!   `classify`: the hot path of an OTP send.
//! * `phone/parse_classify_mixed`: the same over typed numbers of several
//!   plans and spellings (national with a default region, `00`, shared
//!   calling codes, premium rate, non-geographic).
//! * `phone/classify`: `classify` alone on a prepared `E164`.
//! * `phone/parse_classify_2_threads`: the mixed walk on two threads at
//!   once, time per operation per thread; it stays near the one-thread
//!   figure when nothing is shared mutably (the machine's two cores allowing).
//!
//! The patterns are compiled (`phone::warm_up`) before measuring; the time
//! that takes is printed once.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use tollgate::phone::{self, NumberType};
use tollgate::{Country, E164};

/// What users type, and the region the form assumes.
const TYPED: [(&str, Option<&str>); 12] = [
    ("+44 7400 123456", None),
    ("07400 123456", Some("GB")),
    ("(201) 555-0123", Some("US")),
    ("+1 900 234 5678", None),
    ("0049 1512 3456789", None),
    ("+49 (0)30 123456", None),
    ("8 (912) 345-67-89", Some("RU")),
    ("+7 701 123 4567", None),
    ("+262 692 12 34 56", None),
    ("+44 7797 712345", None),
    ("+800 1234 5678", None),
    ("06 12 34 56 78", Some("FR")),
];

fn typed() -> Vec<(&'static str, Option<Country>)> {
    TYPED
        .iter()
        .map(|&(s, region)| (s, region.map(|r| r.parse().unwrap_or_else(|_| unreachable!()))))
        .collect()
}

fn parse_classify(input: &str, region: Option<Country>) -> NumberType {
    match phone::normalize(input, region) {
        Ok(e164) => phone::classify(&e164).number_type,
        Err(_) => NumberType::Unknown,
    }
}

fn bench(c: &mut Criterion) {
    let started = Instant::now();
    let bytes = phone::warm_up();
    println!(
        "phone: compiled all patterns in {:?} ({} KiB of DFAs)",
        started.elapsed(),
        bytes / 1024
    );
    let inputs = typed();
    let numbers: Vec<E164> = inputs
        .iter()
        .filter_map(|&(s, r)| phone::normalize(s, r).ok())
        .collect();
    assert_eq!(numbers.len(), inputs.len(), "every benchmark input must parse");

    let mut g = c.benchmark_group("phone");
    g.bench_function("parse_classify_mobile", |b| {
        b.iter(|| parse_classify(black_box("+44 7400 123456"), None))
    });
    let mut cycle = inputs.iter().cycle();
    g.bench_function("parse_classify_mixed", |b| {
        b.iter(|| cycle.next().map(|&(s, r)| parse_classify(black_box(s), r)))
    });
    let mut cycle = numbers.iter().cycle();
    g.bench_function("classify", |b| {
        b.iter(|| cycle.next().map(|n| phone::classify(black_box(n)).number_type))
    });
    g.bench_function("parse_classify_2_threads", |b| {
        b.iter_custom(|iters| {
            let per_thread: Vec<Duration> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..2)
                    .map(|_| {
                        s.spawn(|| {
                            let started = Instant::now();
                            for &(s, r) in inputs.iter().cycle().take(iters as usize) {
                                black_box(parse_classify(black_box(s), r));
                            }
                            started.elapsed()
                        })
                    })
                    .collect();
                handles.into_iter().filter_map(|h| h.join().ok()).collect()
            });
            per_thread.into_iter().max().unwrap_or_default()
        })
    });
    g.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
