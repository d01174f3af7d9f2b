package coupling

// SetForceSelect makes every coupling realise its mask by masking (for benchmarks).
func SetForceSelect(on bool) { forceSelect = on }
