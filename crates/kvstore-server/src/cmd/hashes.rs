//! The hash family. (Its commands come with the container-types issue.)

use super::Command;

pub static COMMANDS: &[Command] = &[];
