package fetch

// The catalog. Where each checksum comes from:
//
//   - MNIST: SHA-256 of the decompressed IDX files of the official .gz
//     files, whose own SHA-256s (e.g. 440fcabf…3609 for train-images) and
//     MD5s (f68b3c2d…4873, as torchvision publishes) they were checked
//     against; every mirror serves these bytes.
//   - Fashion-MNIST: SHA-256 of the decompressed IDX files of Debian's
//     dataset-fashion-mnist package. Compressed again with GNU gzip -6,
//     with upstream's file names and mtimes in the gzip header, they give
//     upstream's .gz files byte for byte (the SHA-256s that
//     tensorflow-datasets publishes: 3aede38d…8a84, a04f1713…0845,
//     346e55b9…a073, 67da17c7…8dd5), so the payloads are upstream's.
//   - CelebA: the MD5s of img_align_celeba.zip and list_attr_celeba.txt
//     that torchvision publishes for the official Google Drive files (no
//     SHA-256 is published); see celeba.go for what verifying a folder can
//     check.
var catalog = []Dataset{
	{
		Name:    "mnist",
		Title:   "MNIST handwritten digits, 60,000 + 10,000 28x28 (LeCun, Cortes, Burges)",
		Licence: "CC BY-SA 3.0",
		Mirrors: []string{
			"https://ossci-datasets.s3.amazonaws.com/mnist/{file}",
			"https://storage.googleapis.com/cvdf-datasets/mnist/{file}",
			"http://yann.lecun.com/exdb/mnist/{file}",
		},
		Files: []File{
			{Name: "train-images-idx3-ubyte.gz", Size: 47040016, SHA256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"},
			{Name: "train-labels-idx1-ubyte.gz", Size: 60008, SHA256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"},
			{Name: "t10k-images-idx3-ubyte.gz", Size: 7840016, SHA256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"},
			{Name: "t10k-labels-idx1-ubyte.gz", Size: 10008, SHA256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"},
		},
		Manual: "check the network, or give another copy: --mirror URL (a server holding the four .gz files) or --from FOLDER (a folder holding them)",
	},
	{
		Name:    "fashion-mnist",
		Title:   "Fashion-MNIST clothes, 60,000 + 10,000 28x28 in 10 classes (Zalando Research)",
		Licence: "MIT",
		Mirrors: []string{
			"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/{file}",
			"https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/{file}",
		},
		Files: []File{
			{Name: "train-images-idx3-ubyte.gz", Size: 47040016, SHA256: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"},
			{Name: "train-labels-idx1-ubyte.gz", Size: 60008, SHA256: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"},
			{Name: "t10k-images-idx3-ubyte.gz", Size: 7840016, SHA256: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"},
			{Name: "t10k-labels-idx1-ubyte.gz", Size: 10008, SHA256: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"},
		},
		Manual: "check the network, or give another copy: --mirror URL, or --from FOLDER (on Debian and Ubuntu: apt-get install dataset-fashion-mnist, then --from /usr/share/datasets/fashion-mnist)",
	},
	{
		Name:    "celeba",
		Title:   "CelebA aligned and cropped faces, 202,599 178x218 JPEGs with 40 attributes (Liu, Luo, Wang, Tang)",
		Licence: "non-commercial research only (CelebA agreement)",
		Mirrors: []string{
			"https://drive.usercontent.google.com/download?id={id}&export=download&confirm=t",
			"https://drive.google.com/uc?export=download&id={id}",
		},
		Files: []File{
			{Name: "img_align_celeba.zip", MD5: "00d2c5bc6d35e252742224ab0c1e8fcb", ID: "0B7EVK8r0v71pZjFTYXZWM3FlRnM", Unpack: CelebAImages},
			{Name: CelebAAttrFile, MD5: "75e246fa4810816ffd6ee81facbd244c", ID: "0B7EVK8r0v71pblRyaVFSWGxPY0U", Optional: true},
		},
		Manual: "CelebA's Google Drive files are often over their download quota: download img_align_celeba.zip " +
			"and list_attr_celeba.txt yourself (https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html, " +
			"\"Align&Cropped Images\" and \"Anno\"), then run: go run ./cmd/data fetch celeba --from PATH " +
			"(the zip, the folder holding them, or an unpacked img_align_celeba folder)",
	},
}
