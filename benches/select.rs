//! Cost of one selection pass (intersection, clustering, combining) over
//! typical candidate sets.

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use sundial::NtpDuration;
use sundial::select::{Candidate, SelectParams, Selector};

fn candidates(n: usize) -> Vec<Candidate> {
    (0..n)
        .map(|i| {
            let mut c = Candidate::new(i, NtpDuration::from_micros((i as i64 * 37) % 200 - 100));
            c.delay = NtpDuration::from_micros(400 + i as i64 * 10);
            c.dispersion = NtpDuration::from_micros(500);
            c.jitter = NtpDuration::from_micros(50);
            c.root_dispersion = NtpDuration::from_micros(1000);
            c
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let selector = Selector::<16>::new(SelectParams::default());
    for n in [4usize, 8, 16] {
        let mut cs = candidates(n);
        // One falseticker.
        if let Some(last) = cs.last_mut() {
            last.offset = NtpDuration::from_millis(50);
        }
        c.bench_function(&format!("select {n} candidates"), |b| {
            b.iter(|| black_box(selector.select(black_box(&mut cs))))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
