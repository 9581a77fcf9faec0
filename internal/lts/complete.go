package lts

// complete is a query answer's isQueryComplete: false once some stored
// data of the stream is known to be unreadable (a damaged segment block
// or a quarantined file), which the answer cannot include.
func (s *Service) complete(streamID string) bool { return !s.core.Logs().Damaged(streamID) }
