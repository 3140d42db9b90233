from regulens.cli import main

main()
