//go:build !purego

package jose

// puregoBuild: built without the purego tag.
const puregoBuild = false
