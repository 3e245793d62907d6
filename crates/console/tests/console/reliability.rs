//! What an outside probe broke (issue 21), each held by a test: absurd values, floods, slow
//! clients, concurrent writers, restarts, echoed values, file modes.

mod boundaries;
mod floods;
mod progress;
mod restarts;
mod slow_clients;
mod writers;
