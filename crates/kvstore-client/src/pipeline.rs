//! Batching many commands into one write.

use kvstore_protocol::Value;

use crate::commands;
use crate::convert::ToValue;
use crate::error::{ConversionError, Result};

/// A list of commands sent together with
/// [`Client::run_pipeline`](crate::Client::run_pipeline) or
/// [`AsyncClient::run_pipeline`](crate::AsyncClient::run_pipeline).
///
/// The builder methods never fail; an argument that cannot be converted is
/// remembered and reported when the pipeline is run, before anything is
/// sent.
///
/// ```no_run
/// use kvstore_client::{Client, Pipeline, Value};
///
/// # fn main() -> Result<(), kvstore_client::Error> {
/// let mut client = Client::connect_default()?;
/// let mut pipe = Pipeline::new();
/// pipe.set("a", 1).set("b", "two").get("a").mget(["a", "b", "c"]);
/// let replies = client.run_pipeline(&pipe)?;
/// assert_eq!(replies.len(), 4);
/// assert_eq!(replies[2].as_ref().ok(), Some(&Value::Integer(1)));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Pipeline {
    commands: Vec<Vec<Value>>,
    error: Option<ConversionError>,
}

impl Pipeline {
    /// An empty pipeline.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of queued commands.
    pub fn len(&self) -> usize {
        self.commands.len()
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }

    /// Removes every queued command and any remembered error.
    pub fn clear(&mut self) {
        self.commands.clear();
        self.error = None;
    }

    /// Queues any command, given as already-built values.
    pub fn cmd(&mut self, command: &[Value]) -> &mut Self {
        self.commands.push(command.to_vec());
        self
    }

    /// Queues `GET key`.
    pub fn get(&mut self, key: impl ToValue) -> &mut Self {
        self.push(commands::get(&key))
    }

    /// Queues `SET key value`.
    pub fn set(&mut self, key: impl ToValue, value: impl ToValue) -> &mut Self {
        self.push(commands::set(&key, &value))
    }

    /// Queues `DELETE key`.
    pub fn delete(&mut self, key: impl ToValue) -> &mut Self {
        self.push(commands::delete(&key))
    }

    /// Queues `FLUSH`.
    pub fn flush(&mut self) -> &mut Self {
        self.push(Ok(commands::flush()))
    }

    /// Queues `MGET k1 k2 ...`.
    pub fn mget<I>(&mut self, keys: I) -> &mut Self
    where
        I: IntoIterator,
        I::Item: ToValue,
    {
        self.push(commands::mget(keys))
    }

    /// Queues `MSET k1 v1 k2 v2 ...`.
    pub fn mset<I, K, V>(&mut self, pairs: I) -> &mut Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: ToValue,
        V: ToValue,
    {
        self.push(commands::mset(pairs).map(|(cmd, _)| cmd))
    }

    fn push(&mut self, command: Result<Vec<Value>, ConversionError>) -> &mut Self {
        match command {
            Ok(cmd) => self.commands.push(cmd),
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        self
    }

    /// The queued commands, or the first conversion error.
    pub(crate) fn commands(&self) -> Result<&[Vec<Value>]> {
        match &self.error {
            Some(e) => Err(e.clone().into()),
            None => Ok(&self.commands),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_queues_in_order() {
        let mut p = Pipeline::new();
        p.set("a", 1).get("a").delete("a").flush();
        assert_eq!(p.len(), 4);
        let cmds = p.commands().unwrap();
        assert_eq!(cmds[0][0], Value::bulk("SET"));
        assert_eq!(cmds[3], vec![Value::bulk("FLUSH")]);
        p.clear();
        assert!(p.is_empty());
    }

    #[test]
    fn conversion_error_is_reported_at_run_time() {
        let mut p = Pipeline::new();
        p.set("a", u64::MAX).get("a");
        assert_eq!(p.len(), 1);
        assert!(matches!(p.commands(), Err(crate::Error::Conversion(_))));
    }
}
