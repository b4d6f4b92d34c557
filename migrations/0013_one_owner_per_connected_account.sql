-- A connected account belongs to at most one organisation, once. Rows a race left behind
-- before this index existed go: the earliest claim keeps the account.
DELETE FROM stripe_connections
WHERE kind = 'connect' AND EXISTS (
    SELECT 1 FROM stripe_connections o
    WHERE o.kind = 'connect' AND o.account_id = stripe_connections.account_id
      AND (o.created_at < stripe_connections.created_at
           OR (o.created_at = stripe_connections.created_at AND o.id < stripe_connections.id))
);
CREATE UNIQUE INDEX stripe_connections_connected_account
    ON stripe_connections(account_id) WHERE kind = 'connect';
