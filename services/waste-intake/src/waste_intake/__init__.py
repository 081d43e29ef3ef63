"""waste-intake: waste facilities report their waste flows; accepted events go to Kafka."""
