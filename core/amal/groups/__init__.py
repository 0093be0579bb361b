"""Self-help groups: lifecycle, facilitators, enrolment within capacity, needs."""
