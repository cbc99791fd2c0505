from ugrad_quest.cli.app import main

main()
