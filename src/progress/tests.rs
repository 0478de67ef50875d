use super::*;

#[test]
fn modes_parse() {
    let table = [
        ("auto", Some(Mode::Auto)),
        ("bars", Some(Mode::Bars)),
        (" log ", Some(Mode::Log)),
        ("off", Some(Mode::Off)),
        ("", None),
        ("on", None),
        ("BARS", None),
    ];
    for (text, want) in table {
        assert_eq!(Mode::parse(text), want, "{text:?}");
    }
}

#[test]
fn display_follows_mode_terminal_format_and_quiet() {
    let tty = Terminal {
        stderr_is_terminal: true,
        term_can_draw: true,
    };
    let dumb = Terminal {
        term_can_draw: false,
        ..tty
    };
    let pipe = Terminal {
        stderr_is_terminal: false,
        term_can_draw: true,
    };
    use LogFormat::{Json, Text};
    let table = [
        (Mode::Auto, false, tty, Text, Display::Bars),
        (Mode::Auto, false, tty, Json, Display::Log),
        (Mode::Auto, false, dumb, Text, Display::Log),
        (Mode::Auto, false, pipe, Text, Display::Log),
        (Mode::Auto, false, pipe, Json, Display::Log),
        (Mode::Bars, false, pipe, Json, Display::Bars),
        (Mode::Log, false, tty, Text, Display::Log),
        (Mode::Off, false, tty, Text, Display::Off),
        (Mode::Auto, true, tty, Text, Display::Off),
        (Mode::Log, true, pipe, Text, Display::Off),
        (Mode::Bars, true, tty, Text, Display::Off),
    ];
    for (mode, quiet, terminal, format, want) in table {
        let s = ProgressSettings {
            mode,
            quiet,
            ..ProgressSettings::default()
        };
        assert_eq!(
            resolve(&s, terminal, format),
            want,
            "{mode:?} quiet={quiet} {terminal:?} {format:?}"
        );
    }
}

#[test]
fn rates_sample_every_region_and_the_total() {
    let regions = vec!["uk".to_string(), "us-east".to_string()];
    let mut rates = Rates::new(&regions);
    let mut snap = Snapshot {
        elapsed: Duration::from_secs(2),
        ..Snapshot::default()
    };
    snap.regions.insert(
        "uk".into(),
        RegionSnapshot {
            found: 4,
            settled: 2,
            exported: 2,
            bytes_found: 8_000_000,
            bytes_settled: 4_000_000,
            bytes_exported: 4_000_000,
            ..RegionSnapshot::default()
        },
    );
    let lines = rates.sample(&snap);
    assert_eq!(lines.regions.len(), 2);
    assert_eq!(lines.regions[0].1, 2_000_000.0, "uk: 4 MB in 2 s");
    assert_eq!(lines.regions[1], (RegionSnapshot::default(), 0.0));
    assert_eq!(lines.total.0.bytes_exported, 4_000_000);
    assert_eq!(lines.total.1, 2_000_000.0);
    let v = fields(Some("uk"), &lines.regions[0].0, lines.regions[0].1);
    assert_eq!(v["region"], "uk");
    assert_eq!(v["objects_settled"], 2);
    assert_eq!(v["bytes_left"], 4_000_000);
    assert_eq!(v["eta_secs"], 2);
    // Nothing found yet while listing: no estimate; a listed region with nothing left: 0.
    let unknown = fields(None, &RegionSnapshot::default(), 0.0);
    assert!(unknown.get("eta_secs").is_none(), "{unknown}");
    let listed = RegionSnapshot {
        listing_done: true,
        ..RegionSnapshot::default()
    };
    assert_eq!(fields(None, &listed, 0.0)["eta_secs"], 0);
}
