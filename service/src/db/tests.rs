use super::{Value, in_pieces, pieces, write_json};

#[test]
fn pieces_cover_every_item_in_powers_of_two_up_to_the_maximum() {
    for n in 0..300 {
        let cut: Vec<usize> = pieces(n, 64).collect();
        assert_eq!(cut.iter().sum::<usize>(), n, "{n} items");
        assert!(
            cut.iter().all(|p| p.is_power_of_two() && *p <= 64),
            "{cut:?}"
        );
        assert!(
            cut.windows(2).all(|w| w[0] >= w[1]),
            "largest first: {cut:?}"
        );
    }
    assert_eq!(pieces(200, 64).collect::<Vec<_>>(), [64, 64, 64, 8]);
}

#[test]
fn in_pieces_keeps_the_order_of_the_items() {
    let items: Vec<u32> = (0..77).collect();
    let cut: Vec<&[u32]> = in_pieces(&items, 32).collect();
    assert_eq!(
        cut.iter().map(|c| c.len()).collect::<Vec<_>>(),
        [32, 32, 8, 4, 1]
    );
    assert_eq!(cut.concat(), items);
}

#[test]
fn values_are_written_as_the_json_each_column_reads_back() {
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-25T08:00:00.123456Z")
        .map(|t| t.to_utc())
        .ok();
    let id = uuid::Uuid::nil();
    let cases: Vec<(Value, serde_json::Value)> = vec![
        (
            Value::from("引号 \"quoted\"\n\\"),
            serde_json::json!("引号 \"quoted\"\n\\"),
        ),
        (Value::from(7_i32), serde_json::json!(7)),
        (Value::from(3_i16), serde_json::json!(3)),
        (Value::SmallInt(None), serde_json::Value::Null),
        (Value::from(true), serde_json::json!(true)),
        (Value::from(id), serde_json::json!(id.to_string())),
        (
            Value::ChronoDateTimeUtc(at),
            serde_json::json!("2026-11-25T08:00:00.123456+00:00"),
        ),
        (Value::String(None), serde_json::Value::Null),
        (
            Value::from(serde_json::json!({"facts": {"n": [1, 2]}})),
            serde_json::json!({"facts": {"n": [1, 2]}}),
        ),
    ];
    for (value, expected) in cases {
        let mut out = Vec::new();
        write_json(&mut out, &value).unwrap();
        let read: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(read, expected, "{value:?}");
    }
    assert!(write_json(&mut Vec::new(), &Value::Float(Some(1.5))).is_err());
}
