package lts

import (
	"net/http"

	"logtank/internal/wire"
)

// The shippers' settings of a project are logtank's own API (LTS has no
// shippers' doors): GET answers them, PUT changes the fields it names.

type shipperSettingsChange struct {
	CreateStreams *bool `json:"create_streams"`
	TTLDays       *int  `json:"ttl_in_days"`
}

func (s *Service) showShipperSettings(w http.ResponseWriter, r *http.Request) error {
	settings, err := s.core.ShipperSettings(r.Context(), r.PathValue("project_id"))
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, settings)
	return nil
}

func (s *Service) updateShipperSettings(w http.ResponseWriter, r *http.Request) error {
	var change shipperSettingsChange
	if err := decode(r, &change); err != nil {
		return err
	}
	project := r.PathValue("project_id")
	settings, err := s.core.ShipperSettings(r.Context(), project)
	if err != nil {
		return err
	}
	if change.CreateStreams != nil {
		settings.CreateStreams = *change.CreateStreams
	}
	if change.TTLDays != nil {
		settings.TTLDays = *change.TTLDays
	}
	if err := s.core.SetShipperSettings(r.Context(), project, settings); err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, settings)
	return nil
}
