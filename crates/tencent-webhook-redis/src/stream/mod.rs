//! The durable hand-off: [`RedisSink`] appends each verified event to a Redis Stream before
//! Tencent is acknowledged; [`Worker`]s read it through a consumer group; events that keep
//! failing go to a dead-letter stream ([`DeadLetters`]).

mod dead_letter;
mod record;
mod settings;
mod sink;
mod worker;

pub use dead_letter::{DeadLetter, DeadLetters};
pub use settings::{StreamSettings, WorkerSettings};
pub use sink::RedisSink;
pub use worker::Worker;
