//! `--save "SECONDS CHANGES ..."`: snapshot when at least CHANGES writes
//! happened and SECONDS passed since the last snapshot, as Redis's `save`.

use super::PersistError;

/// One `SECONDS CHANGES` pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SavePoint {
    pub seconds: u64,
    pub changes: u64,
}

/// Parses the schedule; an empty string (or `""`) means no snapshots.
pub fn parse(text: &str) -> Result<Vec<SavePoint>, PersistError> {
    let bad = || {
        PersistError::Config(format!(
            "invalid --save {text:?}: expected \"SECONDS CHANGES [SECONDS CHANGES ...]\""
        ))
    };
    let words: Vec<&str> = text.split_whitespace().filter(|w| *w != "\"\"").collect();
    if !words.len().is_multiple_of(2) {
        return Err(bad());
    }
    words
        .chunks_exact(2)
        .map(|p| {
            let seconds = p[0].parse().map_err(|_| bad())?;
            let changes = p[1].parse().map_err(|_| bad())?;
            if seconds == 0 {
                return Err(bad());
            }
            Ok(SavePoint { seconds, changes })
        })
        .collect()
}

/// True if a snapshot is due.
pub fn due(points: &[SavePoint], changes: u64, seconds_since_save: u64) -> bool {
    changes > 0
        && points
            .iter()
            .any(|p| changes >= p.changes && seconds_since_save >= p.seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_redis_syntax() {
        assert_eq!(parse("").unwrap(), vec![]);
        assert_eq!(parse("\"\"").unwrap(), vec![]);
        let p = parse("3600 1 300 100").unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(
            p[1],
            SavePoint {
                seconds: 300,
                changes: 100
            }
        );
        assert!(parse("60").is_err());
        assert!(parse("x 1").is_err());
    }

    #[test]
    fn due_when_any_point_is_met() {
        let p = parse("3600 1 60 100").unwrap();
        assert!(!due(&p, 0, 10_000));
        assert!(!due(&p, 50, 100));
        assert!(due(&p, 100, 60));
        assert!(due(&p, 1, 3600));
    }
}
