//! The reader over hand-built files, one per encoding, and over what the
//! writer produces; damage of every kind is refused without a panic.

use super::*;
use crate::keyspace::{Keyspace, NewValue, Record};
use proptest::prelude::*;

/// Builds a file by hand.
struct Rdb(Vec<u8>);

impl Rdb {
    fn new(version: u32) -> Rdb {
        Rdb(format!("REDIS{version:04}").into_bytes())
    }

    fn b(mut self, bytes: &[u8]) -> Rdb {
        self.0.extend_from_slice(bytes);
        self
    }

    /// A plain string (length below 16384).
    fn s(self, s: &[u8]) -> Rdb {
        let n = s.len();
        let head = if n < 64 {
            vec![n as u8]
        } else {
            vec![0x40 | (n >> 8) as u8, n as u8]
        };
        self.b(&head).b(s)
    }

    /// EOF and the checksum.
    fn done(self) -> Vec<u8> {
        let mut v = self.b(&[op::EOF]).0;
        let crc = CRC64.checksum(&v);
        v.extend_from_slice(&crc.to_le_bytes());
        v
    }
}

fn parse_all(data: &[u8], databases: usize) -> Result<(Vec<Entry>, Vec<Bytes>), String> {
    let mut entries = Vec::new();
    let mut libs = Vec::new();
    parse(
        Path::new("dump.rdb"),
        &Bytes::copy_from_slice(data),
        databases,
        &mut |e| entries.push(e),
        &mut |l| libs.push(l),
    )
    .map_err(|e| e.to_string())?;
    Ok((entries, libs))
}

fn one(data: &[u8]) -> Entry {
    let (mut entries, _) = parse_all(data, 16).unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    entries.remove(0)
}

fn bulk(s: &str) -> Value {
    Value::bulk(s)
}

fn listpack(entries: &[u8], count: u16) -> Vec<u8> {
    let total = (6 + entries.len() + 1) as u32;
    let mut v = total.to_le_bytes().to_vec();
    v.extend_from_slice(&count.to_le_bytes());
    v.extend_from_slice(entries);
    v.push(0xFF);
    v
}

fn ziplist(entries: &[u8], count: u16) -> Vec<u8> {
    let total = (10 + entries.len() + 1) as u32;
    let mut v = total.to_le_bytes().to_vec();
    v.extend_from_slice(&0u32.to_le_bytes());
    v.extend_from_slice(&count.to_le_bytes());
    v.extend_from_slice(entries);
    v.push(0xFF);
    v
}

#[test]
fn strings_in_every_encoding_with_expiry_and_databases() {
    let file = Rdb::new(10)
        .b(&[op::AUX])
        .s(b"redis-ver")
        .s(b"7.0.15")
        .b(&[op::SELECTDB, 0, op::RESIZEDB, 4, 1])
        .b(&[0])
        .s(b"plain")
        .s(b"hello")
        .b(&[op::EXPIRETIME_MS])
        .b(&1_900_000_000_123u64.to_le_bytes())
        .b(&[0])
        .s(b"int8")
        .b(&[0xC0, 0xF6])
        .b(&[op::FREQ, 5, 0])
        .s(b"int16")
        .b(&[0xC1, 0x39, 0x30])
        .b(&[op::IDLE, 10, 0])
        .s(b"int32")
        .b(&[0xC2, 0x00, 0x00, 0x00, 0x80])
        // LZF: "aaaa...a" (20 bytes) as a literal "a" and a back-reference
        // of 19 from 1 back.
        .b(&[op::SELECTDB, 3, op::EXPIRETIME])
        .b(&2_000_000_000u32.to_le_bytes())
        .b(&[0])
        .s(b"lzf")
        .b(&[0xC3, 5, 20, 0, b'a', 0xE0, 10, 0])
        .done();
    let (entries, _) = parse_all(&file, 16).unwrap();
    let got: Vec<_> = entries
        .iter()
        .map(|e| {
            (
                e.db,
                e.key.clone(),
                e.value.clone(),
                e.deadline,
                e.kind.as_str(),
            )
        })
        .collect();
    let k = |s: &'static str| Bytes::from_static(s.as_bytes());
    assert_eq!(
        got,
        [
            (0, k("plain"), bulk("hello"), None, "v"),
            (0, k("int8"), bulk("-10"), Some(1_900_000_000_123), "v"),
            (0, k("int16"), bulk("12345"), None, "v"),
            (0, k("int32"), bulk("-2147483648"), None, "v"),
            (
                3,
                k("lzf"),
                Value::Bulk("a".repeat(20).into()),
                Some(2_000_000_000_000),
                "v"
            ),
        ]
    );
}

#[test]
fn containers_in_their_plain_encodings() {
    let file = Rdb::new(10)
        .b(&[ty::LIST])
        .s(b"l")
        .b(&[2])
        .s(b"a")
        .s(b"b")
        .b(&[ty::SET])
        .s(b"s")
        .b(&[2])
        .s(b"x")
        .b(&[0xC0, 7])
        .b(&[ty::HASH])
        .s(b"h")
        .b(&[1])
        .s(b"f")
        .s(b"v")
        .b(&[ty::ZSET])
        .s(b"z")
        .b(&[3])
        .s(b"m")
        .s(b"1.5")
        .s(b"p")
        .b(&[254])
        .s(b"n")
        .b(&[255])
        .b(&[ty::ZSET_2])
        .s(b"z2")
        .b(&[1])
        .s(b"m")
        .b(&(-0.25f64).to_le_bytes())
        .done();
    let (entries, _) = parse_all(&file, 16).unwrap();
    let values: Vec<_> = entries
        .iter()
        .map(|e| (e.kind.as_str(), e.value.clone()))
        .collect();
    assert_eq!(
        values,
        [
            ("list", Value::Array(vec![bulk("a"), bulk("b")])),
            ("set", Value::Set(vec![bulk("x"), bulk("7")])),
            ("hash", Value::Map(vec![(bulk("f"), bulk("v"))])),
            (
                "zset",
                Value::Array(vec![
                    bulk("m"),
                    Value::Double(1.5),
                    bulk("p"),
                    Value::Double(f64::INFINITY),
                    bulk("n"),
                    Value::Double(f64::NEG_INFINITY),
                ])
            ),
            ("zset", Value::Array(vec![bulk("m"), Value::Double(-0.25)])),
        ]
    );
    for e in &entries {
        e.record().unwrap();
    }
}

#[test]
fn containers_in_their_packed_encodings() {
    // A listpack of "a", 5, "b", -1.
    let lp = listpack(&[0x81, b'a', 2, 0x05, 1, 0x81, b'b', 2, 0xDF, 0xFF, 2], 4);
    // A ziplist of "a", 2 (immediate), "b", 1000 (int16).
    let zl = ziplist(
        &[0, 0x01, b'a', 3, 0xF3, 2, 0x01, b'b', 3, 0xC0, 0xE8, 0x03],
        4,
    );
    let mut intset = 2u32.to_le_bytes().to_vec();
    intset.extend_from_slice(&2u32.to_le_bytes());
    intset.extend_from_slice(&(-3i16).to_le_bytes());
    intset.extend_from_slice(&9i16.to_le_bytes());
    let zipmap = [1, 1, b'f', 1, 0, b'v', 0xFF];
    let mut file = Rdb::new(11);
    for (t, key, blob) in [
        (ty::LIST_ZIPLIST, "lz", &zl[..]),
        (ty::HASH_ZIPLIST, "hz", &zl[..]),
        (ty::ZSET_ZIPLIST, "zz", &zl[..]),
        (ty::HASH_LISTPACK, "hl", &lp[..]),
        (ty::ZSET_LISTPACK, "zl", &lp[..]),
        (ty::SET_LISTPACK, "sl", &lp[..]),
        (ty::SET_INTSET, "si", &intset[..]),
        (ty::HASH_ZIPMAP, "hm", &zipmap[..]),
    ] {
        file = file.b(&[t]).s(key.as_bytes()).s(blob);
    }
    // Quicklists: of ziplists, and (type 18) a plain node and a packed one.
    file = file.b(&[ty::LIST_QUICKLIST]).s(b"q1").b(&[2]).s(&zl).s(&zl);
    file = file
        .b(&[ty::LIST_QUICKLIST_2])
        .s(b"q2")
        .b(&[2, 1])
        .s(b"big")
        .b(&[2])
        .s(&lp);
    let (entries, _) = parse_all(&file.done(), 16).unwrap();
    let ab = |x: &str, y: &str| vec![bulk("a"), bulk(x), bulk("b"), bulk(y)];
    let values: Vec<_> = entries
        .iter()
        .map(|e| (e.key.clone(), e.value.clone()))
        .collect();
    let pairs = |x: &str, y: &str| Value::Map(vec![(bulk("a"), bulk(x)), (bulk("b"), bulk(y))]);
    let scores = |x: f64, y: f64| {
        Value::Array(vec![
            bulk("a"),
            Value::Double(x),
            bulk("b"),
            Value::Double(y),
        ])
    };
    let expect = [
        ("lz", Value::Array(ab("2", "1000"))),
        ("hz", pairs("2", "1000")),
        ("zz", scores(2.0, 1000.0)),
        ("hl", pairs("5", "-1")),
        ("zl", scores(5.0, -1.0)),
        ("sl", Value::Set(ab("5", "-1"))),
        ("si", Value::Set(vec![bulk("-3"), bulk("9")])),
        ("hm", Value::Map(vec![(bulk("f"), bulk("v"))])),
        (
            "q1",
            Value::Array([ab("2", "1000"), ab("2", "1000")].concat()),
        ),
        (
            "q2",
            Value::Array([vec![bulk("big")], ab("5", "-1")].concat()),
        ),
    ];
    let expect: Vec<_> = expect
        .into_iter()
        .map(|(k, v)| (Bytes::from(k), v))
        .collect();
    assert_eq!(values, expect);
    for e in &entries {
        e.record().unwrap();
    }
}

#[test]
fn functions_and_empty_containers() {
    let file = Rdb::new(10)
        .b(&[op::FUNCTION2])
        .s(b"#!lua name=lib\n")
        .b(&[ty::LIST])
        .s(b"empty")
        .b(&[0])
        .b(&[ty::SET_INTSET])
        .s(b"emptyset")
        .s(&[2, 0, 0, 0, 0, 0, 0, 0])
        .done();
    let mut libs = Vec::new();
    let summary = parse(
        Path::new("x"),
        &Bytes::from(file),
        16,
        &mut |e| panic!("{e:?}"),
        &mut |l| libs.push(l),
    )
    .unwrap();
    assert_eq!(libs, [Bytes::from_static(b"#!lua name=lib\n")]);
    assert_eq!((summary.keys, summary.empty, summary.libraries), (0, 2, 1));
}

#[test]
fn what_kvstore_cannot_hold_is_refused_by_name() {
    let stream = Rdb::new(10)
        .b(&[ty::STREAM_LISTPACKS_2])
        .s(b"events")
        .b(&[0, 0, 0])
        .done();
    let err = parse_all(&stream, 16).unwrap_err();
    assert!(err.contains("'events'") && err.contains("stream"), "{err}");
    // A module value: id 64 bits, name from its top 54.
    let id: u64 = (1u64 << 58) | (2 << 10) | 1;
    let mut module = Rdb::new(10).b(&[ty::MODULE_2]).s(b"m").b(&[0x81]);
    module = module.b(&id.to_be_bytes());
    let err = parse_all(&module.done(), 16).unwrap_err();
    assert!(
        err.contains("'m'") && err.contains("module 'BAAAAAAAC'"),
        "{err}"
    );
    let far = Rdb::new(10).b(&[op::SELECTDB, 20]).done();
    let err = parse_all(&far, 16).unwrap_err();
    assert!(
        err.contains("database 20") && err.contains("--databases 21"),
        "{err}"
    );
    assert!(parse_all(&far, 21).is_ok());
    let err = parse_all(&Rdb::new(12).done(), 16).unwrap_err();
    assert!(err.contains("version 12"), "{err}");
}

#[test]
fn damage_is_refused_with_its_offset() {
    let good = Rdb::new(10)
        .b(&[ty::LIST])
        .s(b"l")
        .b(&[2])
        .s(b"a")
        .s(b"b")
        .done();
    assert!(parse_all(&good, 16).is_ok());
    // A flipped byte inside a string: only the checksum sees it.
    let mut bad = good.clone();
    bad[14] ^= 1;
    let err = parse_all(&bad, 16).unwrap_err();
    assert!(
        err.contains(&format!("offset {}", good.len() - 8)) && err.contains("checksum"),
        "{err}"
    );
    // A flipped length: the walk finds where.
    let mut bad = good.clone();
    bad[12] = 60;
    let err = parse_all(&bad, 16).unwrap_err();
    assert!(err.contains("offset 12"), "{err}");
    // Cut short, anywhere.
    for cut in 0..good.len() {
        assert!(parse_all(&good[..cut], 16).is_err(), "cut at {cut}");
    }
    // Bytes after the end.
    let mut long = good.clone();
    long.push(0);
    assert!(parse_all(&long, 16).is_err());
    // A zero checksum is none: not checked.
    let mut unchecked = good.clone();
    let n = unchecked.len();
    unchecked[n - 8..].fill(0);
    unchecked[14] ^= 1;
    assert!(parse_all(&unchecked, 16).is_ok());
    // Version 4 has no checksum at all.
    let mut old = Rdb::new(4).b(&[0]).s(b"k").s(b"v").b(&[op::EOF]).0;
    assert_eq!(one(&old).value, bulk("v"));
    old.push(0);
    assert!(parse_all(&old, 16).is_err());
}

#[test]
fn duplicates_and_nan_scores_are_damage() {
    let set = Rdb::new(10)
        .b(&[ty::SET])
        .s(b"s")
        .b(&[2])
        .s(b"x")
        .s(b"x")
        .done();
    assert!(parse_all(&set, 16).unwrap_err().contains("twice"));
    let hash = Rdb::new(10)
        .b(&[ty::HASH])
        .s(b"h")
        .b(&[2])
        .s(b"f")
        .s(b"1")
        .s(b"f")
        .s(b"2")
        .done();
    assert!(parse_all(&hash, 16).unwrap_err().contains("twice"));
    let zset = Rdb::new(10)
        .b(&[ty::ZSET])
        .s(b"z")
        .b(&[1])
        .s(b"m")
        .b(&[253])
        .done();
    assert!(parse_all(&zset, 16).unwrap_err().contains("NaN"));
}

#[test]
fn huge_declared_sizes_are_refused_before_allocating() {
    let list = Rdb::new(10)
        .b(&[ty::LIST])
        .s(b"l")
        .b(&[0x81])
        .b(&u64::MAX.to_be_bytes())
        .done();
    assert!(parse_all(&list, 16)
        .unwrap_err()
        .contains("elements declared"));
    let string = Rdb::new(10)
        .b(&[0])
        .s(b"k")
        .b(&[0x80, 0xFF, 0xFF, 0xFF, 0xFF])
        .done();
    assert!(parse_all(&string, 16).is_err());
    let lzf = Rdb::new(10)
        .b(&[0])
        .s(b"k")
        .b(&[0xC3, 1, 0x81])
        .b(&u64::MAX.to_be_bytes())
        .b(&[0, 0])
        .done();
    assert!(parse_all(&lzf, 16).unwrap_err().contains("LZF"));
}

/// A keyspace with one key of every kind the writer handles.
fn sample() -> Keyspace {
    let ks = Keyspace::new(16);
    let put = |db: usize, key: &str, kind: &str, value: Value, deadline: Option<u64>| {
        let rec = Record::from_parts(key.as_bytes(), kind, &value, deadline).unwrap();
        ks.db(db).insert_record(rec);
    };
    put(0, "s", "v", bulk("hello"), None);
    put(0, "i", "v", Value::Integer(-42), Some(4_000_000_000_000));
    put(0, "wide", "v", Value::Integer(1 << 40), None);
    put(
        0,
        "bin",
        "v",
        Value::Bulk(Bytes::from_static(b"\x00\xff\r\n")),
        None,
    );
    put(0, "empty", "v", bulk(""), None);
    put(0, "long", "v", Value::Bulk("x".repeat(20_000).into()), None);
    let many: Vec<Value> = (0..300).map(|i| bulk(&format!("e{i}"))).collect();
    put(0, "l", "list", Value::Array(many.clone()), None);
    put(
        0,
        "h",
        "hash",
        Value::Map(vec![(bulk("f"), bulk("v"))]),
        None,
    );
    put(
        3,
        "s1",
        "set",
        Value::Set(vec![bulk("1"), bulk("-7")]),
        None,
    );
    put(3, "s2", "set", Value::Set(many), Some(1));
    put(
        3,
        "z",
        "zset",
        Value::Array(vec![
            bulk("m"),
            Value::Double(-0.0),
            bulk("n"),
            Value::Double(f64::INFINITY),
        ]),
        None,
    );
    ks
}

#[test]
fn what_the_writer_writes_reads_back() {
    let ks = sample();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.rdb");
    let snap = ks.snapshot();
    let libs = [Bytes::from_static(b"#!lua name=x\n")];
    let written = super::super::write(&path, || snap.records(), &libs).unwrap();
    assert_eq!(written.keys, snap.len() as u64);
    let mut back = Vec::new();
    let mut got_libs = Vec::new();
    let summary = read(&path, 16, &mut |e| back.push(e), &mut |l| got_libs.push(l)).unwrap();
    assert_eq!(
        summary.redis_ver.as_deref(),
        Some(super::super::write::REDIS_VER)
    );
    assert_eq!(got_libs, libs);
    let mut want: Vec<_> = snap
        .records()
        .map(|(db, r)| {
            let (kind, value) = r.to_parts();
            let value = match (kind, value) {
                // Integers are strings in Redis.
                ("v", Value::Integer(n)) => bulk(&n.to_string()),
                (_, v) => v,
            };
            (db, r.key().to_vec(), kind.to_string(), value, r.deadline())
        })
        .collect();
    let mut got: Vec<_> = back
        .into_iter()
        .map(|e| (e.db, e.key.to_vec(), e.kind, e.value, e.deadline))
        .collect();
    want.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    got.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    assert_eq!(got, want);
}

#[test]
fn seed_values_with_no_redis_type_are_refused() {
    let ks = Keyspace::new(16);
    let nested = Value::Array(vec![Value::Integer(1), Value::Null]);
    ks.db(2)
        .insert_record(Record::new(b"typed", NewValue::Value(&nested), None));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.rdb");
    let snap = ks.snapshot();
    let err = super::super::write(&path, || snap.records(), &[])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("'typed'") && err.contains("database 2"),
        "{err}"
    );
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "nothing is left behind"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any damage to a valid file gives an answer, never a panic.
    #[test]
    fn damaged_files_never_panic(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
        do_cut in any::<bool>(),
        fix_crc in any::<bool>(),
    ) {
        let ks = sample();
        let snap = ks.snapshot();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.rdb");
        super::super::write(&path, || snap.records(), &[]).unwrap();
        let mut data = std::fs::read(&path).unwrap();
        for (at, byte) in flips {
            let i = at.index(data.len());
            data[i] = byte;
        }
        if do_cut {
            data.truncate(cut.index(data.len() + 1));
        }
        if fix_crc && data.len() > 17 {
            // So that the walk itself meets the damage.
            let n = data.len() - 8;
            let crc = CRC64.checksum(&data[..n]);
            data[n..].copy_from_slice(&crc.to_le_bytes());
        }
        let _ = parse_all(&data, 16);
    }

    /// Random bytes after a valid header, with a valid checksum.
    #[test]
    fn random_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut data = b"REDIS0010".to_vec();
        data.extend_from_slice(&body);
        let crc = CRC64.checksum(&data);
        data.extend_from_slice(&crc.to_le_bytes());
        let _ = parse_all(&data, 16);
    }
}
