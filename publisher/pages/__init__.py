"""Pages for people: dates in words, and the pictures (timeline, network, map) drawn on
the server as SVG from plain data, which is also what their JSON serves."""
