package wrapper

// EndpointOf returns the endpoint c talks to, for the tests of New's
// endpoint handling (the library exports no getter: no user asked for one).
func EndpointOf(c *Client) string { return c.endpoint }
