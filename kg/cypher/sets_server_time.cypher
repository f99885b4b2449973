// The server's clock (what transaction start times are compared with).
RETURN datetime.realtime() AS now
