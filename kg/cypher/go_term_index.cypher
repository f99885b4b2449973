// Every GO term with what annotation checks need: obsolete flag, replacement, alt ids.
MATCH (t:GOTerm)
RETURN t.id AS id, coalesce(t.obsolete, false) AS obsolete, t.replaced_by AS replaced_by,
       t.consider AS consider, t.alt_ids AS alt_ids
