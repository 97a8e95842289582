"""Integration tests of the Twilio sandbox server, through the real twilio SDK."""
