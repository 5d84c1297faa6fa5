//! One request, in order, the same for both schemes: the body read under its limits and
//! the shared buffer budget ([`body`], [`budget`]), the callback's place under the cap on
//! running callbacks ([`callbacks`]), the decode and the call ([`dispatch`]), the callback
//! run to its end even when the sender hangs up ([`run_to_end`]), and what the request
//! leaves in the logs ([`trace`]).

pub(crate) mod body;
pub(crate) mod budget;
pub(crate) mod callbacks;
pub(crate) mod dispatch;
pub(crate) mod run_to_end;
pub(crate) mod trace;
