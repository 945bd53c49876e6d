package wordlist_test

import "os"

// testdataFile reads an embedded list from the package directory.
func testdataFile(name string) (string, error) {
	b, err := os.ReadFile(name)
	return string(b), err
}
