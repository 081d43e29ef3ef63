"""Use cases of waste-intake: check a request against the domain rules, publish the event
and answer only after the broker acknowledged it."""
