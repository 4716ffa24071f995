//go:build purego

package jose

// puregoBuild: built with the purego tag, in which the standard library
// refuses FIPS 140-3 mode.
const puregoBuild = true
