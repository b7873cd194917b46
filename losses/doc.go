// Package losses builds the training objectives of otgen as Gorgonia graphs
// over the networks of package models. Each objective lives in one file that
// cites the equation it implements and registers one Spec: its names,
// defaults, validation, the model it needs and how to build it (see
// registry.go, and doc.go for the table of papers and equations). Nothing
// outside this package lists the losses: commands and the training loop
// read the registry (Specs, Lookup).
//
// An Objective is a list of Steps; each Step is one optimisation step (a
// graph, its scalar loss, the parameters it updates, how many times it runs
// per iteration), so a VAE (one step) and a GAN (critic steps then a
// generator step) run through the same training loop. The loop fills each
// step's Data tensor with a batch and its Noise tensors with random draws
// before every run; losses never read files or draw random numbers
// themselves.
//
// # Papers and equations
//
// Each row names the exported Spec (go doc losses.NAME shows the equation
// in full), the file and the function that builds the steps.
//
//	--loss       Spec        paper, equation                                     file, function
//	vae          VAE         Kingma & Welling 2014, eq. 10 (+ App. B KL)         vae.go, newVAE
//	wae-mmd      WAEMMD      Tolstikhin et al. 2018, eq. 4, Algorithm 2          wae_mmd.go, newWAEMMD; kernels.go, imqMMD
//	aae          AAE         Bousquet et al. 2017, Thm 1, eq. 5;                 aae.go, newAAE
//	                         Tolstikhin et al. 2018, Algorithm 1 (WAE-GAN)
//	wgan         WGAN        Arjovsky et al. 2017, eq. 3, Algorithm 1            wgan.go, newWGAN, generatorStep
//	wgan-gp      WGANGP      Gulrajani et al. 2017, eq. 3, Algorithm 1           wgan_gp.go, newWGANGP
//	sinkhorn     Sinkhorn    Genevay et al. 2018, eq. 4; Feydy et al. 2019        sinkhorn.go, newSinkhorn, generatorOT
//	minibatch-w  MinibatchW  Fatras et al. 2020, eq. 4                           minibatch_w.go, newMinibatchW
//	sinkhorn-gan     SinkhornGAN    Genevay et al. 2018, eq. 4, Algorithm 1,     sinkhorn_gan.go, newSinkhornGAN;
//	                                cost ‖f_φ(x) − f_φ(y)‖^p on critic features  learned.go, newLearned;
//	                                repulsive critic: Wang et al. 2019          sinkhorn_gan.go, repulsiveSinkhorn
//	minibatch-w-gan  MinibatchWGAN  Fatras et al. 2020, eq. 4, and 2021, on      minibatch_w_gan.go, newMinibatchWGAN;
//	                                critic features                             learned.go, newLearned
//
// The OT losses share one custom Gorgonia op (pointop.go, pointLoss) whose
// forward pass calls package ot and whose gradient w.r.t. both point sets
// comes from the optimal plan or potentials (envelope theorem). The
// learned-cost losses apply it to the feature vectors of a critic that
// maximises the loss (learned.go), or minimises sinkhorn-gan's repulsive
// loss, so the critic's gradient runs through its passes over both the
// generated and the real batch.
package losses
