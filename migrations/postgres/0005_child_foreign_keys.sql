-- What belongs to a child refers to it by a foreign key, and goes with it when it is
-- deleted, in the same transaction: an id used again later inherits no plan and no family
-- binding. Rows of children already gone (orphans a race could leave before this) are
-- removed first, or the constraints could not be added.
-- Later per-child tables follow the same pattern: `child_id TEXT NOT NULL REFERENCES
-- children (id) ON DELETE CASCADE`.
DELETE FROM plans WHERE child_id NOT IN (SELECT id FROM children);
ALTER TABLE plans
    ADD CONSTRAINT plans_child_fk FOREIGN KEY (child_id) REFERENCES children (id) ON DELETE CASCADE;

DELETE FROM token_children WHERE child_id NOT IN (SELECT id FROM children);
ALTER TABLE token_children
    ADD CONSTRAINT token_children_child_fk FOREIGN KEY (child_id) REFERENCES children (id) ON DELETE CASCADE;
-- The cascade looks bindings up by child.
CREATE INDEX token_children_child ON token_children (child_id);
