"""Chinese text helpers shared by every stage."""
