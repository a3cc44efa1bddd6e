// Package validate checks the deploy files: the CloudFormation templates
// parse into goformation's typed resources with no unknown property and
// agree with each other and with deploy/iam, and every object the Helm
// chart renders decodes strictly into the Kubernetes API types with every
// reference resolved. It is a module of its own so that these heavy
// dependencies stay out of the reporter's go.mod; it has only tests.
package validate
