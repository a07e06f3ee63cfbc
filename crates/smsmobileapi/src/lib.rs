//! Typed, sans-I/O client of SMSMobileAPI. (being written)
