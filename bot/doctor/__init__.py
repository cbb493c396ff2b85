"""`amphi doctor`: a live check of the server and the set-up, before the day."""
