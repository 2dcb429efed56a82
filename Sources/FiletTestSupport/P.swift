import FiletKit
