use super::*;

/// A server over `n` records with page size `limit`, answering in `form`; `total` counts pages
/// or records. Returns the record range served and the answer.
fn serve(form: Semantics, n: u64, limit: u64, key: u64, total_pages: bool) -> (u64, u64, Answer) {
    let start = match form {
        Semantics::NextOffset => key,
        _ => key * limit,
    };
    let end = (start + limit).min(n);
    let page_key = match form {
        Semantics::NextOffset => key + limit,
        Semantics::NextPage => key + 1,
        Semantics::PageServed => key,
    };
    let total = if total_pages { n.div_ceil(limit) } else { n };
    let answer = Answer {
        page_key: Some(page_key),
        records: end.saturating_sub(start),
        last_page: start + limit >= n,
        total: Some(total),
        all_repeated: false,
    };
    (start, end, answer)
}

#[test]
fn every_form_yields_every_record_exactly_once() {
    let forms = [
        Semantics::NextOffset,
        Semantics::NextPage,
        Semantics::PageServed,
    ];
    for form in forms {
        for limit in [1u64, 2, 3, 100] {
            // Empty, one record, short and full last pages, several pages.
            for n in [
                0u64,
                1,
                2,
                limit - 1,
                limit,
                limit + 1,
                2 * limit,
                2 * limit + 1,
                245,
            ] {
                for total_pages in [true, false] {
                    let mut keys = PageKeys::new(limit as u32);
                    let mut key = PageKeys::FIRST;
                    let mut seen = Vec::new();
                    let mut requests = 0;
                    loop {
                        requests += 1;
                        assert!(requests <= n + 2, "{form:?} n={n} limit={limit}: loops");
                        let (start, end, a) = serve(form, n, limit, key, total_pages);
                        seen.extend(start..end);
                        match keys.after(key, &a) {
                            Ok(Step::Next(k)) => key = k,
                            Ok(Step::Done) => break,
                            Err(e) => panic!("{form:?} n={n} limit={limit}: {e}"),
                        }
                    }
                    let want: Vec<u64> = (0..n).collect();
                    assert_eq!(seen, want, "{form:?} n={n} limit={limit}");
                    assert_eq!(requests, n.div_ceil(limit).max(1), "{form:?} n={n}");
                }
            }
        }
    }
}

fn answer(page_key: Option<u64>, records: u64) -> Answer {
    Answer {
        page_key,
        records,
        last_page: false,
        total: None,
        all_repeated: false,
    }
}

#[test]
fn first_page_tells_the_semantics_apart() {
    use Semantics::*;
    // (limit, answered pageKey, records) → semantics and next key.
    let table = [
        (100, 0, 100, Ok((PageServed, 1))),
        (100, 100, 100, Ok((NextOffset, 100))),
        (100, 1, 100, Ok((NextPage, 1))),
        (100, 100, 2, Ok((NextOffset, 100))),
        (100, 2, 2, Ok((NextOffset, 2))),
        (1, 1, 1, Ok((NextOffset, 1))),
        (1, 0, 1, Ok((PageServed, 1))),
        (100, 1, 1, Err(PageKeyError::Ambiguous { limit: 100 })),
        (
            100,
            7,
            100,
            Err(PageKeyError::Unrecognised {
                answered: 7,
                records: 100,
                limit: 100,
            }),
        ),
        (
            100,
            300,
            100,
            Err(PageKeyError::Unrecognised {
                answered: 300,
                records: 100,
                limit: 100,
            }),
        ),
    ];
    for (limit, p, n, want) in table {
        let mut keys = PageKeys::new(limit);
        let got = keys
            .after(0, &answer(Some(p), n))
            .map(|s| (keys.semantics().unwrap(), s));
        let want = want.map(|(sem, k)| (sem, Step::Next(k)));
        assert_eq!(got, want, "limit {limit}, pageKey {p}, {n} records");
    }
}

#[test]
fn later_pages_must_stay_consistent() {
    use Semantics::*;
    // (semantics set by a first page, requested, answered, records, all_repeated, total) → result
    let table = [
        (NextOffset, 100, Some(200), 100, false, None, Ok(200)),
        (NextOffset, 100, Some(200), 100, true, None, Ok(200)),
        (
            NextOffset,
            100,
            Some(100),
            100,
            false,
            None,
            Err(PageKeyError::Backwards {
                requested: 100,
                answered: 100,
            }),
        ),
        (
            NextOffset,
            100,
            Some(5),
            100,
            false,
            None,
            Err(PageKeyError::Backwards {
                requested: 100,
                answered: 5,
            }),
        ),
        (
            NextOffset,
            100,
            Some(201),
            100,
            false,
            None,
            Err(PageKeyError::SkipsRecords {
                requested: 100,
                answered: 201,
                limit: 100,
            }),
        ),
        (NextPage, 1, Some(2), 100, false, Some(3), Ok(2)),
        (
            NextPage,
            1,
            Some(1),
            100,
            false,
            None,
            Err(PageKeyError::Inconsistent {
                semantics: NextPage,
                requested: 1,
                answered: 1,
                expected: 2,
            }),
        ),
        (
            NextPage,
            1,
            Some(2),
            100,
            true,
            None,
            Err(PageKeyError::RepeatedPage { requested: 1 }),
        ),
        (
            NextPage,
            1,
            Some(2),
            100,
            false,
            Some(2),
            Err(PageKeyError::PastTotal { next: 2, total: 2 }),
        ),
        (PageServed, 1, Some(1), 100, false, Some(250), Ok(2)),
        (
            PageServed,
            2,
            Some(1),
            100,
            false,
            None,
            Err(PageKeyError::Inconsistent {
                semantics: PageServed,
                requested: 2,
                answered: 1,
                expected: 2,
            }),
        ),
        (
            PageServed,
            1,
            Some(1),
            100,
            true,
            None,
            Err(PageKeyError::RepeatedPage { requested: 1 }),
        ),
        (
            PageServed,
            1,
            None,
            100,
            false,
            None,
            Err(PageKeyError::NoPageKey { requested: 1 }),
        ),
        (
            PageServed,
            1,
            Some(1),
            0,
            false,
            None,
            Err(PageKeyError::EmptyPage { requested: 1 }),
        ),
    ];
    for (sem, requested, p, n, rep, total, want) in table {
        let mut keys = PageKeys::new(100);
        let first = match sem {
            NextOffset => 100,
            NextPage => 1,
            PageServed => 0,
        };
        keys.after(0, &answer(Some(first), 100)).unwrap();
        assert_eq!(keys.semantics(), Some(sem));
        let a = Answer {
            all_repeated: rep,
            total,
            ..answer(p, n)
        };
        let got = keys.after(requested, &a);
        assert_eq!(got, want.map(Step::Next), "{sem:?} {requested} -> {p:?}");
    }
}

#[test]
fn last_page_ends_whatever_the_page_key_says() {
    for p in [None, Some(0), Some(3), Some(300)] {
        let mut keys = PageKeys::new(100);
        let a = Answer {
            last_page: true,
            ..answer(p, 0)
        };
        assert_eq!(keys.after(200, &a), Ok(Step::Done));
    }
}
